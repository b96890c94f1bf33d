package keys_test

import (
	"testing"

	"github.com/growth-gov/growth/engine/keys"
)

// go test -run '^$' -bench . ./engine/keys/ — signing and verifying a
// 400-byte message (a voucher's size) with each kind.
func BenchmarkSign(b *testing.B) {
	msg := make([]byte, 400)
	for _, kind := range keys.Kinds {
		k, _ := keys.Generate(kind)
		b.Run(string(kind), func(b *testing.B) {
			for b.Loop() {
				if _, err := k.Sign(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	msg := make([]byte, 400)
	for _, kind := range keys.Kinds {
		k, _ := keys.Generate(kind)
		sig, _ := k.Sign(msg)
		pub := k.Public()
		b.Run(string(kind), func(b *testing.B) {
			for b.Loop() {
				if !pub.Verify(msg, sig) {
					b.Fatal("does not verify")
				}
			}
		})
	}
}
