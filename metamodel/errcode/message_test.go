package errcode

import "testing"

// TestFormat: a message is built in both languages from one set of
// arguments; a label given in both languages shows in each, a format of
// plain ASCII is its own English, and a message without English reads in
// Chinese.
func TestFormat(t *testing.T) {
	grant := Label("拨款", "Grant")
	scenarios := []struct {
		name   string
		got    Text
		zh, en string
	}{
		{"catalogued", Stale.Format("%s 已被他人修改（您的版本 %d 已过期），请刷新后重试", grant, 3),
			"拨款 已被他人修改（您的版本 3 已过期），请刷新后重试", "Grant was changed by someone else (your version 3 is out of date); reload and try again"},
		{"arguments in another order", State.Format("“%s”状态下不能执行事件 %s", "已提交", "approve"),
			"“已提交”状态下不能执行事件 approve", "The event approve cannot be done from \"已提交\""},
		{"a message as an argument", NotFound.Format("未找到：%s", NotFound.Format("用户 %s", "zhang")),
			"未找到：用户 zhang", "Not found: user zhang"},
		{"plain ASCII", NotFound.Format("%s #%d", grant, 9), "拨款 #9", "Grant #9"},
		{"a label without English", NotFound.Format("%s #%d", Label("拨款", ""), 9), "拨款 #9", "拨款 #9"},
		{"no English", Stale.Format("从未登记的消息 %d", 1), "从未登记的消息 1", "从未登记的消息 1"},
	}
	for _, sc := range scenarios {
		if sc.got.In(false) != sc.zh || sc.got.In(true) != sc.en {
			t.Errorf("%s: %q / %q, want %q / %q", sc.name, sc.got.In(false), sc.got.In(true), sc.zh, sc.en)
		}
	}
}
