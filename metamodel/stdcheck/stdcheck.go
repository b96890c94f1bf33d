package stdcheck

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them; test with errors.Is.
var (
	// ErrLength: the value has the wrong number of characters.
	ErrLength = errors.New("长度错误")
	// ErrCharset: the value contains a character outside the allowed set.
	ErrCharset = errors.New("含非法字符")
	// ErrChecksum: the check character does not match the computed one.
	ErrChecksum = errors.New("校验码错误")
	// ErrDate: the birth date of a resident ID is not a valid date or is out
	// of range.
	ErrDate = errors.New("出生日期无效")
	// ErrDivision: the administrative division part is structurally invalid
	// (unknown province code, county without city, ...).
	ErrDivision = errors.New("行政区划代码无效")
)

// ---------------------------------------------------------------------------
// Unified social credit code, GB 32100-2015.

// usccAlphabet is the GB 32100-2015 code character set; the value of a
// character is its index. I, O, Z, S and V are not used.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are 3^i mod 31 for i = 0..16.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// USCC validates an 18-character unified social credit code (统一社会信用代码,
// GB 32100-2015): length, character set (digits and upper-case letters except
// I, O, Z, S, V; lower case is rejected) and the check character
// (31 − Σ value_i·w_i mod 31, where 31 maps to '0').
//
// Deliberately NOT checked: the registration authority code (1st character,
// normally 1, 5, 9 or Y), the organisation category (2nd), the division code
// (3rd–8th) and the GB 11714 check digit of the embedded organisation code
// (9th–17th). The set of authority/category codes has been extended over time
// and codes issued by some authorities do not follow the GB 11714 rule, so
// rejecting on them would refuse real codes; the GB 32100 checksum already
// catches typing errors.
func USCC(s string) error {
	if n := utf8.RuneCountInString(s); n != 18 {
		return lengthErr(18, n)
	}
	sum := 0
	pos := 0
	for _, r := range s {
		pos++
		v := strings.IndexRune(usccAlphabet, r)
		if v < 0 {
			return usccCharsetErr(pos, r)
		}
		if pos <= 17 {
			sum += v * usccWeights[pos-1]
		}
	}
	// All 18 characters are ASCII from here on.
	check := 31 - sum%31
	if check == 31 {
		check = 0
	}
	if want := usccAlphabet[check]; s[17] != want {
		return fmt.Errorf("%w：应为 %c", ErrChecksum, want)
	}
	return nil
}

func usccCharsetErr(pos int, r rune) error {
	switch {
	case r >= 'a' && r <= 'z':
		return fmt.Errorf("%w：第 %d 位 %q，字母须为大写", ErrCharset, pos, r)
	case strings.ContainsRune("IOZSV", r):
		return fmt.Errorf("%w：第 %d 位 %q，统一社会信用代码不使用 I、O、Z、S、V", ErrCharset, pos, r)
	default:
		return fmt.Errorf("%w：第 %d 位 %q", ErrCharset, pos, r)
	}
}

// ---------------------------------------------------------------------------
// Resident identity card number, GB 11643-1999.

var residentWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const residentCheckChars = "10X98765432"

// chinaTime is China Standard Time (UTC+8, no daylight saving), used to decide
// what "today" is for the birth-date upper bound.
var chinaTime = time.FixedZone("CST", 8*60*60)

// now is the clock; tests replace it.
var now = time.Now

// minBirth is the earliest accepted birth date.
var minBirth = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// ResidentID validates an 18-character resident identity card number
// (公民身份号码, GB 11643-1999): 17 digits and a check character (a digit or
// X; lower-case x is accepted). It checks the province code of the address
// code (first two digits), that digits 7–14 are a real calendar date between
// 1900-01-01 and today (China Standard Time), and the ISO 7064 MOD 11-2 check
// character. The 15-digit numbers of the first generation card are rejected
// (length error).
//
// Only the province part of the address code is checked: the remaining four
// digits are those of the division at issue time, which may since have been
// abolished, so they cannot be checked structurally.
func ResidentID(s string) error {
	_, _, err := parseResidentID(s)
	return err
}

// ResidentIDInfo validates s like ResidentID and returns the birth date (at
// midnight UTC, standing for a calendar date) and the sex coded in digit 17
// (odd = male). On error it returns the zero time, false and the error.
func ResidentIDInfo(s string) (birth time.Time, male bool, err error) {
	return parseResidentID(s)
}

func parseResidentID(s string) (time.Time, bool, error) {
	if n := utf8.RuneCountInString(s); n != 18 {
		return time.Time{}, false, lengthErr(18, n)
	}
	pos := 0
	for _, r := range s {
		pos++
		if r >= '0' && r <= '9' || pos == 18 && (r == 'X' || r == 'x') {
			continue
		}
		if pos == 18 {
			return time.Time{}, false, fmt.Errorf("%w：第 18 位 %q，校验码应为数字或 X", ErrCharset, r)
		}
		return time.Time{}, false, fmt.Errorf("%w：第 %d 位 %q，应为数字", ErrCharset, pos, r)
	}
	// All 18 characters are ASCII from here on.
	if err := checkProvince(s[:2]); err != nil {
		return time.Time{}, false, err
	}
	birth, err := birthDate(s[6:14])
	if err != nil {
		return time.Time{}, false, err
	}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(s[i]-'0') * residentWeights[i]
	}
	want := residentCheckChars[sum%11]
	got := s[17]
	if got == 'x' {
		got = 'X'
	}
	if got != want {
		return time.Time{}, false, fmt.Errorf("%w：应为 %c", ErrChecksum, want)
	}
	male := (s[16]-'0')%2 == 1
	return birth, male, nil
}

// birthDate parses an 8-digit YYYYMMDD string (digits already checked) and
// checks it is a real date between 1900-01-01 and today.
func birthDate(d string) (time.Time, error) {
	y := atoi(d[0:4])
	m := atoi(d[4:6])
	day := atoi(d[6:8])
	t := time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || t.Day() != day || int(t.Month()) != m || t.Year() != y {
		return time.Time{}, fmt.Errorf("%w：%s 不是有效日期", ErrDate, d)
	}
	if t.Before(minBirth) {
		return time.Time{}, fmt.Errorf("%w：%s 早于 1900-01-01", ErrDate, t.Format(time.DateOnly))
	}
	ty, tm, td := now().In(chinaTime).Date()
	if today := time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC); t.After(today) {
		return time.Time{}, fmt.Errorf("%w：%s 晚于今天", ErrDate, t.Format(time.DateOnly))
	}
	return t, nil
}

// atoi converts a string of ASCII digits (already checked) to an int.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// ---------------------------------------------------------------------------
// Bank card numbers, Luhn mod 10.

// Luhn validates a bank card number: digits only, 12 to 19 of them (cards
// issued in China have 16 to 19; shorter lengths are allowed for other
// schemes), with a valid Luhn mod-10 check digit as last digit.
func Luhn(s string) error {
	if n := utf8.RuneCountInString(s); n < 12 || n > 19 {
		return fmt.Errorf("%w：应为 12–19 位，实际 %d 位", ErrLength, n)
	}
	pos := 0
	for _, r := range s {
		pos++
		if r < '0' || r > '9' {
			return fmt.Errorf("%w：第 %d 位 %q，应为数字", ErrCharset, pos, r)
		}
	}
	// Sum the payload (all digits but the last) doubling every second digit
	// starting from the one right before the check digit.
	sum := 0
	double := true
	for i := len(s) - 2; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	want := byte('0' + (10-sum%10)%10)
	if s[len(s)-1] != want {
		return fmt.Errorf("%w：末位应为 %c", ErrChecksum, want)
	}
	return nil
}

// ---------------------------------------------------------------------------
// Administrative and fiscal division codes, GB/T 2260.

// DivisionCode checks the structure of an administrative division code
// (行政区划代码, GB/T 2260, 6 digits) or of a fiscal division code (财政区划代码,
// 9 digits: the 6-digit administrative code followed by 3 digits). It checks
// that the first two digits are a province-level code and that a code whose
// city part (digits 3–4) is "00" also has "00" as county part (digits 5–6).
// It does not check that the division exists.
func DivisionCode(s string) error {
	n := utf8.RuneCountInString(s)
	if n != 6 && n != 9 {
		return fmt.Errorf("%w：应为 6 位或 9 位，实际 %d 位", ErrLength, n)
	}
	pos := 0
	for _, r := range s {
		pos++
		if r < '0' || r > '9' {
			return fmt.Errorf("%w：第 %d 位 %q，应为数字", ErrCharset, pos, r)
		}
	}
	if err := checkProvince(s[:2]); err != nil {
		return err
	}
	if s[2:4] == "00" && s[4:6] != "00" {
		return fmt.Errorf("%w：地级代码为 00 时县级代码应为 00，实际 %s", ErrDivision, s[4:6])
	}
	return nil
}

// checkProvince checks a two-digit province-level code (GB/T 2260): 11–15,
// 21–23, 31–37, 41–46, 50–54, 61–65, 71 (Taiwan), 81 (Hong Kong), 82 (Macao).
func checkProvince(p string) error {
	if len(p) == 2 && p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' {
		c := atoi(p)
		switch {
		case c >= 11 && c <= 15,
			c >= 21 && c <= 23,
			c >= 31 && c <= 37,
			c >= 41 && c <= 46,
			c >= 50 && c <= 54,
			c >= 61 && c <= 65,
			c == 71, c == 81, c == 82:
			return nil
		}
	}
	return fmt.Errorf("%w：省级代码 %s 不存在", ErrDivision, p)
}

func lengthErr(want, got int) error {
	return fmt.Errorf("%w：应为 %d 位，实际 %d 位", ErrLength, want, got)
}
