package errcode

import (
	"fmt"
	"strings"
	"unicode"
)

// Text is a message for people in Chinese (zh-CN, the default) and in
// English when there is one.
type Text struct {
	Zh string
	En string
}

// In is the English text when english is set and there is one, else the
// Chinese.
func (t Text) In(english bool) string {
	if english && t.En != "" {
		return t.En
	}
	return t.Zh
}

// Label is a name in both languages (a field's label and label_en), given
// to Format as an argument: each language's message shows its own. An empty
// English falls back to the Chinese.
func Label(zh, en string) Text {
	if en == "" {
		en = zh
	}
	return Text{Zh: zh, En: en}
}

// Format is the message of code c: the Chinese format with its arguments,
// and the English format the catalogue gives for it (english.go) with the
// same arguments. An argument that is a Text (a Label, or another message)
// is shown in the message's language. A format of plain ASCII ("%s #%d") is
// its own English. Without an English format the English is empty, and
// readers see the Chinese.
func (c Code) Format(format string, args ...any) Text {
	t := Text{Zh: fmt.Sprintf(format, in(args, false)...)}
	en, ok := english[c][format]
	if !ok && ascii(format) {
		en, ok = format, true
	}
	if ok {
		t.En = fmt.Sprintf(en, in(args, true)...)
	}
	return t
}

// ascii reports whether s is plain ASCII: a format that needs no English.
// Chinese punctuation ("%s：%s") needs English too.
func ascii(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r > unicode.MaxASCII }) < 0
}

// in resolves the Text arguments to one language.
func in(args []any, english bool) []any {
	var out []any
	for i, a := range args {
		t, ok := a.(Text)
		if !ok {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = t.In(english)
	}
	if out == nil {
		return args
	}
	return out
}

// English is the English format of the Chinese format of code c, and
// whether the catalogue has one.
func English(c Code, format string) (string, bool) {
	en, ok := english[c][format]
	return en, ok
}
