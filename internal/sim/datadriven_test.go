package sim

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

// A small reader of datadriven scripts, in the manner of etcd-io/raft's
// testdata: each case is one command line (after any '#' comment lines),
// a line "----", and the expected output up to a blank line. With
// -rewrite the files are written back with the actual outputs.

var rewrite = flag.Bool("rewrite", false, "rewrite the golden traces in testdata/")

type ddCase struct {
	line     int      // of the command, for messages
	comments []string // '#' lines before the command
	cmd      string
	args     []string
	want     string
}

func parseScript(t *testing.T, path string) []ddCase {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var cases []ddCase
	var comments []string
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		switch {
		case l == "":
			continue
		case strings.HasPrefix(l, "#"):
			comments = append(comments, lines[i])
			continue
		}
		f := strings.Fields(l)
		c := ddCase{line: i + 1, comments: comments, cmd: f[0], args: f[1:]}
		comments = nil
		if i+1 >= len(lines) || lines[i+1] != "----" {
			t.Fatalf("%s:%d: %q is not followed by ----", path, i+1, l)
		}
		i += 2
		var out []string
		for ; i < len(lines) && lines[i] != ""; i++ {
			out = append(out, lines[i])
		}
		if len(out) > 0 {
			c.want = strings.Join(out, "\n") + "\n"
		}
		cases = append(cases, c)
	}
	return cases
}

// runScript runs every case of the script at path through do and compares
// (or, with -rewrite, replaces) the expected outputs. An output must not
// hold a blank line.
func runScript(t *testing.T, path string, do func(c ddCase) string) {
	t.Helper()
	cases := parseScript(t, path)
	var b strings.Builder
	for i, c := range cases {
		got := do(c)
		if got != "" && !strings.HasSuffix(got, "\n") {
			got += "\n"
		}
		if strings.Contains(got, "\n\n") {
			t.Fatalf("%s:%d: output holds a blank line:\n%s", path, c.line, got)
		}
		if !*rewrite && got != c.want {
			t.Errorf("%s:%d: %s %s: output differs (rerun with -rewrite if the change is intended)\ngot:\n%swant:\n%s",
				path, c.line, c.cmd, strings.Join(c.args, " "), got, c.want)
		}
		if i > 0 {
			b.WriteString("\n")
		}
		for _, l := range c.comments {
			b.WriteString(l + "\n")
		}
		fmt.Fprintf(&b, "%s\n----\n%s", strings.TrimSpace(c.cmd+" "+strings.Join(c.args, " ")), got)
	}
	if *rewrite {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
