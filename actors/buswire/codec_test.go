package buswire

import (
	"bytes"
	"errors"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"testing/quick"

	"github.com/paddock-zk/paddock/actors/msg"
)

func randomEnvelope(t testing.TB, r *rand.Rand, k msg.Kind) msg.Envelope {
	body, _ := msg.NewBody(k)
	v, ok := quick.Value(reflect.TypeOf(body).Elem(), r)
	if !ok {
		t.Fatalf("cannot generate %s", k)
	}
	reflect.ValueOf(body).Elem().Set(v)
	// msgpack decodes empty slices as nil; normalise for comparison.
	normalise(reflect.ValueOf(body).Elem())
	return msg.New(msg.Addr{Node: msg.NodeID(r.Intn(256)), Role: msg.Role(r.Intn(5))},
		msg.Addr{Node: msg.NodeID(r.Intn(256)), Role: msg.Role(r.Intn(5))}, body)
}

func normalise(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				normalise(v.Field(i))
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			normalise(v.Elem())
		}
	case reflect.Slice:
		if v.Len() == 0 && v.CanSet() {
			v.Set(reflect.Zero(v.Type()))
		}
		for i := 0; i < v.Len(); i++ {
			normalise(v.Index(i))
		}
	}
}

func TestCodecRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, k := range msg.AllKinds() {
		for i := 0; i < 50; i++ {
			env := randomEnvelope(t, r, k)
			b, err := Encode(env)
			if err != nil {
				t.Fatalf("encode %s: %v", k, err)
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("decode %s: %v", k, err)
			}
			if !reflect.DeepEqual(got, env) {
				t.Fatalf("%s round trip:\n got %+v\nwant %+v", k, got, env)
			}
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	good, _ := Encode(msg.New(msg.Addr{Node: 1, Role: msg.RoleVoter}, msg.Addr{Role: msg.RoleVoter}, &msg.Vote{Leader: 2}))
	tests := map[string][]byte{
		"empty":        nil,
		"unknown kind": {200, 0x94, 1, 1, 0, 1},
		"truncated":    good[:len(good)-2],
		"trailing":     append(bytes.Clone(good), 0xc0),
		"garbage":      {byte(msg.KindVote), 0xff, 0xff},
	}
	for name, b := range tests {
		if _, err := Decode(b); !errors.Is(err, ErrBadMessage) {
			t.Errorf("%s: err %v, want ErrBadMessage", name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	r := rand.New(rand.NewSource(2))
	for _, k := range msg.AllKinds() {
		b, _ := Encode(randomEnvelope(f, r, k))
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{1, 0x90})
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := Decode(b)
		if err != nil {
			return
		}
		out, err := Encode(env)
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", env, err)
		}
		again, err := Decode(out)
		if err != nil || !reflect.DeepEqual(again, env) {
			t.Fatalf("re-decode differs: %v", err)
		}
	})
}

func TestSubjects(t *testing.T) {
	tests := []struct {
		to   msg.Addr
		want string
	}{
		{msg.Addr{Role: msg.RoleVoter}, "pdk.e.elect"},
		{msg.Addr{Node: 3, Role: msg.RoleVoter}, "pdk.e.peer.3.voter"},
		{msg.Addr{Role: msg.RoleStore}, "pdk.e.all." + msg.RoleStore.String()},
	}
	for _, tt := range tests {
		if got := Subject("e", tt.to); got != tt.want {
			t.Errorf("Subject(%v) = %q, want %q", tt.to, got, tt.want)
		}
		if !strings.HasPrefix(Subject("e", tt.to), Prefix("e")) {
			t.Errorf("Subject(%v) lacks prefix %q", tt.to, Prefix("e"))
		}
	}
}

func TestParseServerName(t *testing.T) {
	tests := []struct {
		name string
		ens  string
		id   msg.NodeID
		ok   bool
	}{
		{"pdk-paddock-3", "paddock", 3, true},
		{"pdk-my-ens-12", "my-ens", 12, true},
		{"pdk--1", "", 0, false},
		{"nats-1", "", 0, false},
		{"pdk-x-0", "", 0, false},
		{"pdk-x-y", "", 0, false},
	}
	for _, tt := range tests {
		ens, id, err := ParseServerName(tt.name)
		if (err == nil) != tt.ok || ens != tt.ens || id != tt.id {
			t.Errorf("ParseServerName(%q) = %q, %d, %v; want %q, %d, ok=%v", tt.name, ens, id, err, tt.ens, tt.id, tt.ok)
		}
	}
}
