package znode

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/paddock-zk/paddock/zk"
)

// ValidatePath applies ZooKeeper's PathUtils.validatePath: an absolute path,
// no trailing slash (but "/"), no empty, "." or ".." segment, no NUL, and
// none of the characters U+0001–U+001F, U+007F–U+009F, U+D800–U+F8FF,
// U+FFF0–U+FFFF. Java checks UTF-16 code units, so every character outside
// the BMP (a surrogate pair) is refused too, and so is invalid UTF-8 (it
// decodes to U+FFFD). A sequential path is checked with a digit appended, as
// the client does before the server adds the counter. The error wraps
// ErrBadArguments for the path.
func ValidatePath(path string, sequential bool) error {
	if sequential {
		path += "1"
	}
	if reason := pathProblem(path); reason != "" {
		p := strings.TrimSuffix(path, "1")
		if !sequential {
			p = path
		}
		return fmt.Errorf("znode: invalid path string %q caused by %s: %w", path, reason, newErr(zk.BadArguments, p))
	}
	return nil
}

// pathProblem returns why path is invalid, or "". Indices in reasons are
// byte offsets (Java reports UTF-16 offsets; only the text differs).
func pathProblem(path string) string {
	if len(path) == 0 {
		return "path length must be > 0"
	}
	if path[0] != '/' {
		return "path must start with / character"
	}
	if len(path) == 1 {
		return ""
	}
	if path[len(path)-1] == '/' {
		return "path must not end with / character"
	}
	lastc := rune('/')
	for i := 1; i < len(path); {
		c, size := rune(path[i]), 1
		if c >= utf8.RuneSelf {
			c, size = utf8.DecodeRuneInString(path[i:])
		}
		// Segment checks only look at ASCII neighbours, so byte offsets work.
		atEnd := i+size == len(path)
		switch {
		case c == 0:
			return fmt.Sprintf("null character not allowed @%d", i)
		case c == '/' && lastc == '/':
			return fmt.Sprintf("empty node name specified @%d", i)
		case c == '.' && lastc == '.':
			if path[i-2] == '/' && (atEnd || path[i+1] == '/') {
				return fmt.Sprintf("relative paths not allowed @%d", i)
			}
		case c == '.':
			if path[i-1] == '/' && (atEnd || path[i+1] == '/') {
				return fmt.Sprintf("relative paths not allowed @%d", i)
			}
		case c > 0 && c <= 0x1f, c >= 0x7f && c <= 0x9f, c >= 0xd800 && c <= 0xf8ff, c >= 0xfff0:
			// c >= 0xfff0 also covers runes above the BMP (surrogates in
			// Java) and utf8.RuneError.
			return fmt.Sprintf("invalid character @%d", i)
		}
		lastc = c
		i += size
	}
	return ""
}

// parentOf returns the parent of a path as ZooKeeper computes it (the text
// before the last slash; "" is the root's alias, returned as "/").
func parentOf(path string) (parent, name string, ok bool) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return "", "", false
	}
	if i == 0 {
		return "/", path[1:], true
	}
	return path[:i], path[i+1:], true
}
