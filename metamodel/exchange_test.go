package metamodel

import (
	"path/filepath"
	"testing"
)

func TestExchangesResolve(t *testing.T) {
	p, err := Load(filepath.Join("testdata", "valid", "exchanges"))
	if err != nil {
		t.Fatal(err)
	}
	a := p.Exchange("party_a")
	if a == nil || p.Exchange("nobody") != nil || len(p.Exchanges()) != 2 {
		t.Fatalf("exchanges: %v", p.Exchanges())
	}
	if a.KeyName() != "party_a" || a.SignatureKind() != "sm2" || a.Kind != "代理银行" {
		t.Errorf("party_a: key %s signature %s kind %s", a.KeyName(), a.SignatureKind(), a.Kind)
	}
	if b := p.Exchange("party_b"); b.KeyName() != "other_name" || b.SignatureKind() != "ed25519" {
		t.Errorf("party_b: key %s signature %s", b.KeyName(), b.SignatureKind())
	}
	out := a.OutboundMessage("voucher")
	if out == nil || out.Target != p.App("orders").Entity("order") || out.RefField == nil || out.RefField.Name != "no" {
		t.Fatalf("outbound voucher: %+v", out)
	}
	if len(out.Fields) != 3 || out.Fields[1].Name != "amount" || out.Fields[1].Field != "amount" || out.Fields[2].Field != "id" {
		t.Errorf("outbound fields: %+v", out.Fields)
	}
	in := a.InboundMessage("returned")
	if in == nil || in.Target == nil || in.Comment != "reason" || a.InboundMessage("voucher") != nil {
		t.Fatalf("inbound returned: %+v", in)
	}
	if d := p.Exchange("party_b").InboundMessage("done"); d.RefField != nil {
		t.Errorf("party_b done refers by %v, want the id", d.RefField)
	}
}
