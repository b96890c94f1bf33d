package stdcheck

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// checkErr asserts err matches the expected sentinel (nil = valid) and, when
// wantMsg is set, that the message contains it.
func checkErr(t *testing.T, err, want error, wantMsg string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("want valid, got error %q", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("want error wrapping %q, got nil", want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("want error wrapping %q, got %q", want, err)
	}
	if wantMsg != "" && !strings.Contains(err.Error(), wantMsg) {
		t.Fatalf("error %q does not contain %q", err, wantMsg)
	}
}

// USCC check characters were verified by hand (outside the implementation).
// Alphabet values: 0-9 → 0-9, A=10 B=11 C=12 D=13 E=14 F=15 G=16 H=17 J=18
// K=19 L=20 M=21 N=22 P=23 Q=24 R=25 T=26 U=27 W=28 X=29 Y=30.
// Weights: 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28.
//
// 914403001922038216 (华为技术有限公司):
//
//	values   9 1 4  4   0 3  0 0 1  9   2  2  0 3  8  2  1
//	products 9 3 36 108 0 78 0 0 20 261 50 26 0 72 80 60 28  Σ = 831
//	831 mod 31 = 25 (31·26 = 806); 31 − 25 = 6 → '6' ✓
//
// 91440300708461136T (深圳市腾讯计算机系统有限公司):
//
//	values   9 1 4  4   0 3  0 0 7   0 8   4  6  1  1  3  6
//	products 9 3 36 108 0 78 0 0 140 0 200 52 48 24 10 90 168  Σ = 966
//	966 mod 31 = 5 (31·31 = 961); 31 − 5 = 26 → 'T' ✓
//
// 91330100716105852F (阿里巴巴（中国）网络技术有限公司):
//
//	values   9 1 3  3  0 1  0 0 7   1  6   1  0 5   8  5   2
//	products 9 3 27 81 0 26 0 0 140 29 150 13 0 120 80 150 56  Σ = 884
//	884 mod 31 = 16 (31·28 = 868); 31 − 16 = 15 → 'F' ✓
//
// 91110000802100433B (北京百度网讯科技有限公司):
//
//	values   9 1 1 1  0 0 0 0 8   0 2  1  0 0 4  3  3
//	products 9 3 9 27 0 0 0 0 160 0 50 13 0 0 40 90 84  Σ = 485
//	485 mod 31 = 20 (31·15 = 465); 31 − 20 = 11 → 'B' ✓
//
// 91110108551385082Q (小米科技有限责任公司):
//
//	values   9 1 1 1  0 1  0 8   5   5   1  3  8  5   0 8   2
//	products 9 3 9 27 0 26 0 136 100 145 25 39 64 120 0 240 56  Σ = 999
//	999 mod 31 = 7 (31·32 = 992); 31 − 7 = 24 → 'Q' ✓
//
// 12100000425006133D (华东师范大学, a public institution, authority '1'):
//
//	values   1 2 1 0 0 0 0 0 4  2  5   0 0 6   1  3  3
//	products 1 6 9 0 0 0 0 0 80 58 125 0 0 144 10 90 84  Σ = 607
//	607 mod 31 = 18 (31·19 = 589); 31 − 18 = 13 → 'D' ✓
//
// 91310000132260250X (上海汽车集团股份有限公司):
//
//	values   9 1 3  1  0 0 0 0 1  3  2  2  6  0 2  5   0
//	products 9 3 27 27 0 0 0 0 20 87 50 26 48 0 20 150 0  Σ = 467
//	467 mod 31 = 2 (31·15 = 465); 31 − 2 = 29 → 'X' ✓
//
// 91110000MA00000240 (synthetic, letters in the body and check == 31):
//
//	values   9 1 1 1  0 0 0 0 21  10  0 0 0 0 0 2  4
//	products 9 3 9 27 0 0 0 0 420 290 0 0 0 0 0 60 112  Σ = 930
//	930 mod 31 = 0 (31·30 = 930); 31 − 0 = 31 → '0' ✓
func TestUSCC(t *testing.T) {
	scenarios := []struct {
		name    string
		in      string
		want    error
		wantMsg string
	}{
		{"华为技术", "914403001922038216", nil, ""},
		{"腾讯计算机系统", "91440300708461136T", nil, ""},
		{"阿里巴巴中国网络技术", "91330100716105852F", nil, ""},
		{"百度网讯", "91110000802100433B", nil, ""},
		{"小米科技", "91110108551385082Q", nil, ""},
		{"华东师范大学 事业单位", "12100000425006133D", nil, ""},
		{"上汽集团 校验码 X", "91310000132260250X", nil, ""},
		{"合成 校验值 31 记为 0", "91110000MA00000240", nil, ""},

		{"华为 校验码改错", "914403001922038217", ErrChecksum, "校验码错误：应为 6"},
		{"腾讯 校验码改错", "91440300708461136U", ErrChecksum, "应为 T"},
		{"本体一位改错", "914403001922038316", ErrChecksum, "应为"},
		{"相邻两位对调", "914403001922083216", ErrChecksum, ""},
		{"合成 校验码 0 写成 O", "91110000MA0000024O", ErrCharset, "第 18 位 'O'"},
		{"含 I", "91110000MI00000240", ErrCharset, "不使用 I、O、Z、S、V"},
		{"含 O", "9111000OMA00000240", ErrCharset, "第 8 位 'O'"},
		{"含 Z", "91110000MZ00000240", ErrCharset, "'Z'"},
		{"含 S", "91110000MS00000240", ErrCharset, "'S'"},
		{"含 V", "91110000MV00000240", ErrCharset, "'V'"},
		{"小写字母", "91440300708461136t", ErrCharset, "须为大写"},
		{"含空格", "9144030070846113 T", ErrCharset, "第 17 位 ' '"},
		{"含汉字", "9144030070846113号T", ErrCharset, "'号'"},
		{"少一位", "91440300708461136", ErrLength, "应为 18 位，实际 17 位"},
		{"多一位", "91440300708461136TT", ErrLength, "实际 19 位"},
		{"空串", "", ErrLength, "实际 0 位"},
		{"旧组织机构代码", "70846113-6", ErrLength, ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			checkErr(t, USCC(sc.in), sc.want, sc.wantMsg)
		})
	}
}

// TestUSCCAuthorityNotChecked documents that the registration authority code
// (1st character) is not checked: a code whose checksum is right is accepted
// whatever its first character.
func TestUSCCAuthorityNotChecked(t *testing.T) {
	// 'A' (value 10) in place of '9' (value 9) with weight 1 adds 1 to the
	// sum of 91110000MA0000024: Σ = 931, 931 mod 31 = 1, 31 − 1 = 30 → 'Y'.
	if err := USCC("A1110000MA0000024Y"); err != nil {
		t.Fatalf("authority code must not be checked, got %q", err)
	}
}

// Resident ID check characters were verified by hand with weights
// 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 and table "10X98765432"[Σ mod 11].
//
// 11010519491231002X (GB 11643-1999 textbook example):
//
//	digits   1 1 0  1 0 5  1 9 4  9  1 2  3  1 0 0 2
//	products 7 9 0  5 0 20 2 9 24 27 7 18 30 5 0 0 4  Σ = 167
//	167 mod 11 = 2 → 'X' ✓
//
// 44030419900307123X: digits 4 4 0 3 0 4 1 9 9 0 0 3 0 7 1 2 3 → products
// 28 36 0 15 0 16 2 9 54 0 0 27 0 35 8 8 6, Σ = 244, 244 mod 11 = 2 → 'X' ✓
//
// 310115198506154816: digits 3 1 0 1 1 5 1 9 8 5 0 6 1 5 4 8 1 → products
// 21 9 0 5 8 20 2 9 48 15 0 54 10 25 32 32 2, Σ = 292, 292 mod 11 = 6 → '6' ✓
//
// The other base numbers below were completed the same way so that their
// check character is right and the case isolates the rule under test.
func TestResidentID(t *testing.T) {
	scenarios := []struct {
		name    string
		in      string
		want    error
		wantMsg string
	}{
		{"国标示例", "11010519491231002X", nil, ""},
		{"国标示例 小写 x", "11010519491231002x", nil, ""},
		{"深圳 校验码 X", "44030419900307123X", nil, ""},
		{"上海浦东", "310115198506154816", nil, ""},
		{"新疆乌鲁木齐", "650102197811232042", nil, ""},
		{"香港居民 81", "810000199707010010", nil, ""},
		{"闰日 2000-02-29", "110105200002290013", nil, ""},
		{"下限 1900-01-01", "11010519000101001X", nil, ""},

		{"校验码改错", "110105194912310021", ErrChecksum, "校验码错误：应为 X"},
		{"本体一位改错", "11010519491231003X", ErrChecksum, "应为"},
		{"校验码 X 应为数字", "31011519850615481X", ErrChecksum, "应为 6"},
		{"2 月 30 日", "110105200102300012", ErrDate, "20010230 不是有效日期"},
		{"1900 非闰年 2 月 29 日", "110105190002290017", ErrDate, "不是有效日期"},
		{"13 月", "110105194913310021", ErrDate, "不是有效日期"},
		{"早于 1900", "110105189912310015", ErrDate, "早于 1900-01-01"},
		{"未来日期", "110105209901010012", ErrDate, "晚于今天"},
		{"省级代码 99", "990105194912310023", ErrDivision, "省级代码 99 不存在"},
		{"省级代码 72", "720105194912310023", ErrDivision, "省级代码 72"},
		{"省级代码 00", "000105194912310024", ErrDivision, "省级代码 00"},
		{"17 位", "11010519491231002", ErrLength, "应为 18 位，实际 17 位"},
		{"一代证 15 位", "110105491231002", ErrLength, "实际 15 位"},
		{"19 位", "11010519491231002XX", ErrLength, "实际 19 位"},
		{"X 不在末位", "1101051949123100X2", ErrCharset, "第 17 位 'X'"},
		{"末位字母 Y", "11010519491231002Y", ErrCharset, "数字或 X"},
		{"含全角数字", "１1010519491231002X", ErrCharset, "第 1 位"},
		{"含空格", "110105 9491231002X", ErrCharset, "第 7 位 ' '"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			checkErr(t, ResidentID(sc.in), sc.want, sc.wantMsg)
		})
	}
}

func TestResidentIDInfo(t *testing.T) {
	scenarios := []struct {
		name  string
		in    string
		birth string
		male  bool
		want  error
	}{
		{"国标示例 女", "11010519491231002X", "1949-12-31", false, nil},
		{"深圳 男", "44030419900307123X", "1990-03-07", true, nil},
		{"上海 男", "310115198506154816", "1985-06-15", true, nil},
		{"乌鲁木齐 女", "650102197811232042", "1978-11-23", false, nil},
		{"校验码错", "110105194912310021", "", false, ErrChecksum},
		{"日期错", "110105200102300012", "", false, ErrDate},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			birth, male, err := ResidentIDInfo(sc.in)
			checkErr(t, err, sc.want, "")
			if sc.want != nil {
				if !birth.IsZero() || male {
					t.Fatalf("on error want zero values, got %v %v", birth, male)
				}
				return
			}
			if got := birth.Format(time.DateOnly); got != sc.birth {
				t.Fatalf("birth = %s, want %s", got, sc.birth)
			}
			if male != sc.male {
				t.Fatalf("male = %v, want %v", male, sc.male)
			}
		})
	}
}

// TestResidentIDToday pins the clock to check the "not after today" bound,
// which is evaluated in China Standard Time.
func TestResidentIDToday(t *testing.T) {
	saved := now
	defer func() { now = saved }()

	scenarios := []struct {
		name  string
		clock time.Time
		in    string
		want  error
	}{
		// 110105202406150016: digits 1 1 0 1 0 5 2 0 2 4 0 6 1 5 0 0 1 →
		// products 7 9 0 5 0 20 4 0 12 12 0 54 10 25 0 0 2, Σ = 160,
		// 160 mod 11 = 6 → '6' ✓. 11010520240616002X: Σ = 167 → 'X' ✓.
		{"生于今天", time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC), "110105202406150016", nil},
		{"生于明天", time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC), "11010520240616002X", ErrDate},
		// 2024-06-15 20:00 UTC is already 2024-06-16 in Beijing.
		{"北京时间已到次日", time.Date(2024, 6, 15, 20, 0, 0, 0, time.UTC), "11010520240616002X", nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			now = func() time.Time { return sc.clock }
			checkErr(t, ResidentID(sc.in), sc.want, "")
		})
	}
}

func TestLuhn(t *testing.T) {
	scenarios := []struct {
		name    string
		in      string
		want    error
		wantMsg string
	}{
		// 4111111111111111 (published Visa test number): from the right,
		// the 8 doubled digits give 7·2 + 4·2 = 22, the 8 kept digits 8;
		// Σ = 30, 30 mod 10 = 0 ✓.
		{"Visa 测试卡", "4111111111111111", nil, ""},
		{"Mastercard 测试卡", "5555555555554444", nil, ""},
		{"Amex 15 位", "378282246310005", nil, ""},
		{"银联 19 位", "6228480402564890018", nil, ""},
		// 622202123456789012 + check: payload digits from the right
		// 2 1 0 9 8 7 6 5 4 3 2 1 2 0 2 2 2 6; doubled (1st, 3rd, ...)
		// 2 0 8 6 4 2 2 2 2 → 4 0 7 3 8 4 4 4 4 = 38, kept 1 9 7 5 3 1 0 2 6
		// = 34; Σ = 72, check = (10 − 2) mod 10 = 8.
		{"工行样式 19 位 校验 8", "6222021234567890128", nil, ""},
		{"12 位下限", "123456789015", nil, ""},

		{"工行样式 末位 3", "6222021234567890123", ErrChecksum, "末位应为 8"},
		// 15th digit 1→2 is doubled: payload Σ 29 → 31, check = 9.
		{"Visa 一位改错", "4111111111111121", ErrChecksum, "末位应为 9"},
		{"Mastercard 末位改错", "5555555555554445", ErrChecksum, "末位应为 4"},
		{"含字母", "41111111111111a1", ErrCharset, "第 15 位 'a'"},
		{"含空格分组 共 19 位", "4111 1111 1111 1111", ErrCharset, "第 5 位 ' '"},
		{"含连字符", "4111-111111111111", ErrCharset, "第 5 位 '-'"},
		{"11 位", "12345678903", ErrLength, "应为 12–19 位，实际 11 位"},
		{"20 位", "62220212345678901280", ErrLength, "实际 20 位"},
		{"空串", "", ErrLength, "实际 0 位"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			checkErr(t, Luhn(sc.in), sc.want, sc.wantMsg)
		})
	}
}

func TestDivisionCode(t *testing.T) {
	scenarios := []struct {
		name    string
		in      string
		want    error
		wantMsg string
	}{
		{"北京市", "110000", nil, ""},
		{"北京市朝阳区", "110105", nil, ""},
		{"深圳市", "440300", nil, ""},
		{"深圳市南山区", "440305", nil, ""},
		{"新疆维吾尔自治区", "650000", nil, ""},
		{"台湾省", "710000", nil, ""},
		{"香港特别行政区", "810000", nil, ""},
		{"澳门特别行政区", "820000", nil, ""},
		{"财政区划 省本级", "110000000", nil, ""},
		{"财政区划 朝阳区", "110105000", nil, ""},
		{"财政区划 区下级", "440305001", nil, ""},

		{"省级代码 00", "000000", ErrDivision, "省级代码 00 不存在"},
		{"省级代码 16", "160000", ErrDivision, "省级代码 16"},
		{"省级代码 72", "720000", ErrDivision, ""},
		{"省级代码 83", "830000", ErrDivision, ""},
		{"地级 00 县级非 00", "110001", ErrDivision, "县级代码应为 00"},
		{"财政区划 地级 00 县级非 00", "110001000", ErrDivision, "实际 01"},
		{"财政区划 省级代码 99", "990000000", ErrDivision, ""},
		{"5 位", "11010", ErrLength, "应为 6 位或 9 位，实际 5 位"},
		{"7 位", "1101050", ErrLength, "实际 7 位"},
		{"12 位", "110105000000", ErrLength, ""},
		{"含字母", "11010A", ErrCharset, "第 6 位 'A'"},
		{"含空格", "110 05", ErrCharset, "第 4 位"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			checkErr(t, DivisionCode(sc.in), sc.want, sc.wantMsg)
		})
	}
}

// TestSentinelsDistinct makes sure the sentinels are distinct values so that
// errors.Is classifies unambiguously.
func TestSentinelsDistinct(t *testing.T) {
	all := []error{ErrLength, ErrCharset, ErrChecksum, ErrDate, ErrDivision}
	for i, a := range all {
		for j, b := range all {
			if i != j && errors.Is(a, b) {
				t.Fatalf("%q matches %q", a, b)
			}
		}
	}
}

func FuzzUSCC(f *testing.F) {
	for _, s := range []string{
		"914403001922038216",
		"91440300708461136T",
		"91330100716105852F",
		"91110000MA00000240",
		"91440300708461136t",
		"9144030070846113号T",
		"",
		"IIIIIIIIIIIIIIIIII",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := USCC(s)
		if err != nil {
			if !errors.Is(err, ErrLength) && !errors.Is(err, ErrCharset) && !errors.Is(err, ErrChecksum) {
				t.Fatalf("USCC(%q): unclassified error %q", s, err)
			}
			return
		}
		if err := USCC(strings.ToUpper(s)); err != nil {
			t.Fatalf("USCC(%q) valid but upper-cased form invalid: %q", s, err)
		}
	})
}
