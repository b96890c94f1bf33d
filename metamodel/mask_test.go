package metamodel

import "testing"

func TestMask(t *testing.T) {
	scenarios := []struct{ kind, in, want string }{
		{"name", "张三明", "张*明"},
		{"name", "张三", "张*"},
		{"name", "欧阳娜娜", "欧**娜"},
		{"name", "李", "*"},
		{"id", "51332219800101102X", "5133**********102X"},
		{"id", "123", "1**"},
		{"account", "6222021234567890128", "***************0128"},
		{"phone", "13800138000", "*******8000"},
		{"other", "unchanged", "unchanged"},
	}
	for _, sc := range scenarios {
		if got := Mask(sc.kind, sc.in); got != sc.want {
			t.Errorf("Mask(%s, %s) = %s, want %s", sc.kind, sc.in, got, sc.want)
		}
	}
}
