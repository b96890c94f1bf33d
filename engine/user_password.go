package engine

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/frequency"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// The password policy (docs/access.md), applied wherever a password is set:
// growth user add and passwd, the admin API and the admin pages all go
// through Users.Add and Users.Change.
//
//   - at least MinPasswordLength characters, at most 72 bytes (bcrypt);
//   - not the user name;
//   - not a common password: the 30,000 of zxcvbn's list plus commonPasswords
//     below (ones common in China that the English list lacks), compared in
//     lower case;
//   - guessable in no fewer than MinPasswordGuesses tries by zxcvbn's
//     estimate (score 2 of 4), which sees through keyboard walks
//     (qwertyui), sequences, repeats, dates, l33t and words — with the
//     user's name and display name counted as known words.

// MinPasswordLength is the shortest password accepted, in characters.
const MinPasswordLength = 8

// MinPasswordScore is the lowest zxcvbn score accepted: 2, "somewhat
// guessable", at least 10^6 guesses — enough against online guessing, which
// the login limits (5 failures per name per 15 minutes) throttle further.
const MinPasswordScore = 2

// commonPasswords are common passwords of Chinese users (pinyin, dates,
// lucky numbers) that zxcvbn's English-centred lists miss or rate too well.
var commonPasswords = []string{
	"woaini1314", "woaini520", "woaini521", "woaini123", "woaini1234", "5201314520", "52013145201314",
	"1314520520", "iloveyou1314", "aini1314", "zhang123456", "wang123456", "li123456", "liu123456",
	"chen123456", "yang123456", "zhao123456", "huang123456", "zhou123456", "wu123456",
	"qq123456", "qq5201314", "taobao123", "baidu123", "weixin123", "zhongguo", "zhongguo123",
	"beijing123", "shanghai123", "caiwu123", "caizheng123", "admin888", "admin8888", "a5201314",
	"abc5201314", "woaiwojia", "wodemima", "mima1234", "mima123456", "12345678a", "a12345678",
	"aa123456", "aa12345678", "abc123456", "abc12345678", "qwe123456", "1qaz2wsx3edc", "1q2w3e4r5t",
	"88888888", "66666666", "168168168", "147258369", "123456abc", "password@123", "admin@123",
	"p@ssw0rd", "p@ssword", "passw0rd!", "growth123", "growth2026", "growth-admin",
}

var (
	commonOnce sync.Once
	common     map[string]bool
)

func isCommonPassword(p string) bool {
	commonOnce.Do(func() {
		list := frequency.FrequencyLists["passwords"]
		common = make(map[string]bool, len(list)+len(commonPasswords))
		for _, w := range list {
			common[w] = true
		}
		for _, w := range commonPasswords {
			common[w] = true
		}
	})
	return common[strings.ToLower(p)]
}

// checkPassword explains what is wrong with a new password of user name
// (display, the user's display name, is a word a guesser would try too), or
// returns an empty text.
func checkPassword(name, display, password string) errcode.Text {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return errcode.Password.Format("密码至少 %d 个字符", MinPasswordLength)
	case len(password) > 72:
		return errcode.Password.Format("密码最长 72 个字节（bcrypt 的上限）")
	case strings.EqualFold(password, name):
		return errcode.Password.Format("密码不能与用户名相同")
	case isCommonPassword(password):
		return errcode.Password.Format("这是常见密码，很容易被猜到；请换一个")
	}
	inputs := []string{name, "growth"}
	if display != "" {
		inputs = append(inputs, display)
	}
	if r := zxcvbn.PasswordStrength(password, inputs); r.Score < MinPasswordScore {
		return errcode.Password.Format("密码太容易猜到（如键盘连续键、重复或顺序字符、常见词、日期、用户名）；请用更长、更不规则的密码，例如几个不相关的词")
	}
	return errcode.Text{}
}
