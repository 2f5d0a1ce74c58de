package znode

import (
	"errors"
	"testing"
	"unicode/utf16"

	"github.com/paddock-zk/paddock/zk"
)

func TestValidatePath(t *testing.T) {
	tests := []struct {
		path string
		seq  bool
		ok   bool
	}{
		{"/", false, true},
		{"/a", false, true},
		{"/a/b.c/..d/d..", false, true},
		{"/zookeeper/quota", false, true},
		{"/日本", false, true},
		{"", false, false},
		{"a", false, false},
		{"/a/", false, false},
		{"/a/", true, true}, // a sequential name gets the counter appended
		{"/a//b", false, false},
		{"//", false, false},
		{"/.", false, false},
		{"/..", false, false},
		{"/a/./b", false, false},
		{"/a/../b", false, false},
		{"/a/.b", false, true},
		{"/a\x00b", false, false},
		{"/a\x01", false, false},
		{"/a\x1f", false, false},
		{"/a\x7f", false, false},
		{"/a\u0085", false, false},
		{"/a\u00a0", false, true},
		{"/a\ud7ff", false, true},
		{"/a\ue000", false, false},
		{"/a\uf8ff", false, false},
		{"/a\uf900", false, true},
		{"/a\ufff0", false, false},
		{"/a\U0001F600", false, false}, // a surrogate pair in Java
		{"/a\xff", false, false},       // invalid UTF-8
		{"/a.", false, true},
	}
	for _, tt := range tests {
		err := ValidatePath(tt.path, tt.seq)
		if (err == nil) != tt.ok {
			t.Errorf("ValidatePath(%q, %v) = %v, want ok=%v", tt.path, tt.seq, err, tt.ok)
		}
		if err != nil && !errors.Is(err, zk.ErrBadArguments) {
			t.Errorf("ValidatePath(%q) error %v is not BadArguments", tt.path, err)
		}
		if err := ValidatePath(tt.path, false); err == nil != (javaValidatePath(tt.path) == "") {
			t.Errorf("%q: disagrees with the UTF-16 port", tt.path)
		}
	}
}

// javaValidatePath is a literal port of PathUtils.validatePath over UTF-16
// code units, the oracle for the fuzz target.
func javaValidatePath(s string) string {
	chars := utf16.Encode([]rune(s))
	if len(chars) == 0 {
		return "empty"
	}
	if chars[0] != '/' {
		return "start"
	}
	if len(chars) == 1 {
		return ""
	}
	if chars[len(chars)-1] == '/' {
		return "end"
	}
	lastc := uint16('/')
	for i := 1; i < len(chars); lastc, i = chars[i], i+1 {
		c := chars[i]
		switch {
		case c == 0:
			return "null"
		case c == '/' && lastc == '/':
			return "empty name"
		case c == '.' && lastc == '.':
			if chars[i-2] == '/' && (i+1 == len(chars) || chars[i+1] == '/') {
				return "relative"
			}
		case c == '.':
			if chars[i-1] == '/' && (i+1 == len(chars) || chars[i+1] == '/') {
				return "relative"
			}
		case c > 0 && c <= 0x1f, c >= 0x7f && c <= 0x9f, c >= 0xd800 && c <= 0xf8ff, c >= 0xfff0:
			return "char"
		}
	}
	return ""
}

func FuzzValidatePath(f *testing.F) {
	for _, s := range []string{"/", "/a/b", "/a/../b", "/a/.", "//", "/a\x00", "/\U0001F600", "/a\xff", "/..x", "/x.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ValidatePath(s, false) == nil
		want := javaValidatePath(s) == ""
		if got != want {
			t.Fatalf("ValidatePath(%q) ok=%v, Java port ok=%v", s, got, want)
		}
		if ValidatePath(s, true) == nil != (javaValidatePath(s+"1") == "") {
			t.Fatalf("sequential %q disagrees", s)
		}
	})
}
