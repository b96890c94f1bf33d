package metamodel

import (
	"time"

	"github.com/growth-gov/growth/metamodel/stdcheck"
)

// The national code checks, as rule functions: `is_uscc(credit_code)`,
// `is_resident_id(id_no)`, `is_luhn(card_no)`, `is_division_code(div)`, and
// `birth_date(id_no)`, `is_male(id_no)` read from a resident ID number.
func init() {
	check := func(name, doc string, fn func(string) error) {
		RegisterFunction(Function{
			Name: name,
			Doc:  doc,
			Fn: func(params ...any) (any, error) {
				s, _ := params[0].(string)
				return fn(s) == nil, nil
			},
			Types: []any{new(func(string) bool)},
		})
	}
	check("is_uscc", "统一社会信用代码（GB 32100）校验：18 位、字符集与校验码。", stdcheck.USCC)
	check("is_resident_id", "居民身份证号码（GB 11643）校验：校验码、出生日期、省级代码。", stdcheck.ResidentID)
	check("is_luhn", "银行卡号 Luhn 校验（12–19 位数字）。", stdcheck.Luhn)
	check("is_division_code", "行政区划（6 位）或财政区划（9 位）代码结构校验。", stdcheck.DivisionCode)
	RegisterFunction(Function{
		Name: "birth_date",
		Doc:  "身份证号码中的出生日期；号码无效时为零值日期。",
		Fn: func(params ...any) (any, error) {
			birth, _, err := stdcheck.ResidentIDInfo(params[0].(string))
			if err != nil {
				return time.Time{}, nil
			}
			return birth, nil
		},
		Types: []any{new(func(string) time.Time)},
	})
	RegisterFunction(Function{
		Name: "is_male",
		Doc:  "身份证号码第 17 位为奇数（男性）。",
		Fn: func(params ...any) (any, error) {
			_, male, err := stdcheck.ResidentIDInfo(params[0].(string))
			return err == nil && male, nil
		},
		Types: []any{new(func(string) bool)},
	})
}
