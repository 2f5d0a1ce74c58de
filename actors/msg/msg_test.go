package msg

import "testing"

func TestEveryKindHasNameAndBody(t *testing.T) {
	for _, k := range AllKinds() {
		if _, ok := ParseKind(k.String()); !ok {
			t.Errorf("kind %d has no name", k)
		}
		b, err := NewBody(k)
		if err != nil {
			t.Fatalf("NewBody(%s): %v", k, err)
		}
		if b.Kind() != k {
			t.Errorf("NewBody(%s).Kind() = %s", k, b.Kind())
		}
	}
	if _, err := NewBody(kindCount); err == nil {
		t.Error("NewBody accepted an unknown kind")
	}
}

func TestZxid(t *testing.T) {
	z := MakeZxid(7, 42)
	if ZxidEpoch(z) != 7 || ZxidCounter(z) != 42 || FormatZxid(z) != "0x70000002a" {
		t.Fatalf("zxid split wrong: %x", z)
	}
}
