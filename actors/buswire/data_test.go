package buswire

import (
	"reflect"
	"testing"

	"github.com/paddock-zk/paddock/actors/msg"
)

// fillData sets every []byte field named Data reachable from v (through
// structs, pointers to structs and slices of structs, which get one
// element) to a fresh copy of data, and returns how many it set.
func fillData(v reflect.Value, data []byte, depth int) int {
	if depth > 5 {
		return 0
	}
	n := 0
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f, sf := v.Field(i), v.Type().Field(i)
			if !sf.IsExported() {
				continue
			}
			if sf.Name == "Data" && f.Type() == reflect.TypeFor[[]byte]() {
				if data != nil {
					f.SetBytes(append([]byte{}, data...))
				} else {
					f.SetBytes(nil)
				}
				n++
				continue
			}
			n += fillData(f, data, depth+1)
		}
	case reflect.Pointer:
		if v.Type().Elem().Kind() == reflect.Struct {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			n += fillData(v.Elem(), data, depth+1)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Struct {
			if v.Len() == 0 {
				v.Set(reflect.MakeSlice(v.Type(), 1, 1))
			}
			n += fillData(v.Index(0), data, depth+1)
		}
	}
	return n
}

// collectData lists the Data fields fillData set, in the same order.
func collectData(v reflect.Value, depth int, out *[][]byte) {
	if depth > 5 {
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f, sf := v.Field(i), v.Type().Field(i)
			if !sf.IsExported() {
				continue
			}
			if sf.Name == "Data" && f.Type() == reflect.TypeFor[[]byte]() {
				*out = append(*out, f.Bytes())
				continue
			}
			collectData(f, depth+1, out)
		}
	case reflect.Pointer:
		if !v.IsNil() && v.Type().Elem().Kind() == reflect.Struct {
			collectData(v.Elem(), depth+1, out)
		}
	case reflect.Slice:
		if v.Len() > 0 && v.Type().Elem().Kind() == reflect.Struct {
			collectData(v.Index(0), depth+1, out)
		}
	}
}

// Every Data field of every message — requests, replies, multi ops and
// results, forwards, replicated entries, snapshot chunks — comes through
// the codec as it went in: nil as nil, zero-length as zero-length (not
// nil), bytes as bytes. ZooKeeper tells a null znode from an empty one.
func TestCodecKeepsNullAndEmptyData(t *testing.T) {
	total := 0
	for _, k := range msg.AllKinds() {
		for _, data := range [][]byte{nil, {}, []byte("x")} {
			body, _ := msg.NewBody(k)
			n := fillData(reflect.ValueOf(body), data, 0)
			if n == 0 {
				continue
			}
			total += n
			b, err := Encode(msg.New(msg.Addr{Node: 1}, msg.Addr{Node: 2}, body))
			if err != nil {
				t.Fatalf("encode %s: %v", k, err)
			}
			env, err := Decode(b)
			if err != nil {
				t.Fatalf("decode %s: %v", k, err)
			}
			var got [][]byte
			collectData(reflect.ValueOf(env.Body), 0, &got)
			if len(got) != n {
				t.Fatalf("%s: %d Data fields after decoding, %d before", k, len(got), n)
			}
			for i, g := range got {
				if (g == nil) != (data == nil) || string(g) != string(data) {
					t.Errorf("%s Data field %d: sent %#v, got %#v", k, i, data, g)
				}
			}
		}
	}
	// Request and Reply with their multi ops and results, Forward,
	// Proposal's entries, SnapChunk: the test must have reached them.
	if total < 3*8 {
		t.Fatalf("only %d Data fields exercised", total)
	}
}
