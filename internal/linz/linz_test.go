package linz

import (
	"testing"

	"github.com/anishathalye/porcupine"
)

// The model accepts a linearizable history and rejects a stale read, a
// lost acknowledged write and a CAS that succeeded on the wrong version.
func TestModel(t *testing.T) {
	w := func(c int, call, ret int64, v string, ver int32) porcupine.Operation {
		return porcupine.Operation{ClientId: c, Call: call, Return: ret, Input: Input{Kind: Write, Key: "k", Value: v}, Output: Output{Version: ver}}
	}
	r := func(c int, call, ret int64, v string, ver int32) porcupine.Operation {
		return porcupine.Operation{ClientId: c, Call: call, Return: ret, Input: Input{Kind: Read, Key: "k"}, Output: Output{Value: v, Version: ver}}
	}
	cas := func(c int, call, ret int64, exp int32, v string, ok bool, ver int32) porcupine.Operation {
		return porcupine.Operation{ClientId: c, Call: call, Return: ret, Input: Input{Kind: CAS, Key: "k", Value: v, Version: exp}, Output: Output{OK: ok, Version: ver}}
	}
	unknown := func(c int, call int64, v string) porcupine.Operation {
		return porcupine.Operation{ClientId: c, Call: call, Return: 1 << 62, Input: Input{Kind: Write, Key: "k", Value: v}, Output: Output{Unknown: true}}
	}
	tests := []struct {
		name string
		h    []porcupine.Operation
		ok   bool
	}{
		{"sequential", []porcupine.Operation{w(0, 0, 1, "a", 0), r(1, 2, 3, "a", 0), cas(0, 4, 5, 0, "b", true, 1), r(1, 6, 7, "b", 1)}, true},
		{"concurrent read sees either", []porcupine.Operation{w(0, 0, 1, "a", 0), w(0, 2, 5, "b", 1), r(1, 3, 4, "a", 0)}, true},
		{"stale read", []porcupine.Operation{w(0, 0, 1, "a", 0), w(0, 2, 3, "b", 1), r(1, 4, 5, "a", 0)}, false},
		{"lost write", []porcupine.Operation{w(0, 0, 1, "a", 0), r(1, 2, 3, "", -1)}, false},
		{"cas on the wrong version", []porcupine.Operation{w(0, 0, 1, "a", 0), w(0, 2, 3, "b", 1), cas(1, 4, 5, 0, "c", true, 2)}, false},
		{"failed cas", []porcupine.Operation{w(0, 0, 1, "a", 0), w(0, 2, 3, "b", 1), cas(1, 4, 5, 0, "c", false, 0)}, true},
		{"unknown write seen", []porcupine.Operation{w(0, 0, 1, "a", 0), unknown(0, 2, "x"), r(1, 5, 6, "x", 1)}, true},
		{"unknown write not seen", []porcupine.Operation{w(0, 0, 1, "a", 0), unknown(0, 2, "x"), r(1, 5, 6, "a", 0)}, true},
	}
	for _, tt := range tests {
		if got := porcupine.CheckOperations(Model, tt.h); got != tt.ok {
			t.Errorf("%s: linearizable %v, want %v", tt.name, got, tt.ok)
		}
	}
}
