package zkcli_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/client/clienttest"
	"github.com/paddock-zk/paddock/internal/zkcli"
)

func dial(ctx context.Context, servers []string, timeout time.Duration, cred zkcli.Credentials) (zkcli.Client, io.Closer, error) {
	opts := []client.Option{client.WithSessionTimeout(timeout)}
	if cred.User != "" {
		opts = append(opts, client.WithCredentials(cred.User, cred.Password))
	}
	c, err := client.Connect(ctx, servers, opts...)
	if err != nil {
		return nil, nil, err
	}
	return zkcli.Bus(c), c, nil
}

// TestCLIOverClient runs the shell through the real client against a fake
// node, so the wiring of `node cli` (flags, dial, close) is covered end to
// end.
func TestCLIOverClient(t *testing.T) {
	f := clienttest.Start(t)
	server := strings.TrimPrefix(f.URL(), "nats://")
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := zkcli.Main(context.Background(), append([]string{"-bus", server}, args...), strings.NewReader(""), &out, &errOut, dial)
		return code, out.String(), errOut.String()
	}
	steps := []struct {
		args           []string
		code           int
		out, errPrefix string
	}{
		{[]string{"create", "/app", "v1"}, 0, "", "Created /app\n"},
		{[]string{"create", "/app"}, 1, "", "Node already exists: /app\n"},
		{[]string{"create", "-s", "/app/job-"}, 0, "", "Created /app/job-0000000000\n"},
		{[]string{"get", "/app"}, 0, "v1\n", ""},
		{[]string{"set", "-v", "0", "/app", "v2"}, 0, "", ""},
		{[]string{"set", "-v", "0", "/app", "v3"}, 1, "", "version No is not valid : /app\n"},
		{[]string{"ls", "/"}, 0, "[app]\n", ""},
		{[]string{"ls", "-R", "/"}, 0, "/\n/app\n/app/job-0000000000\n", ""},
		{[]string{"getAcl", "/app"}, 0, "'world,'anyone\n: cdrwa\n", ""},
		{[]string{"getAllChildrenNumber", "/"}, 0, "2\n", ""},
		{[]string{"sync", "/app"}, 0, "Sync is OK\n", ""},
		{[]string{"delete", "/app"}, 1, "", "Node not empty: /app\n"},
		{[]string{"deleteall", "/app"}, 0, "", ""},
		{[]string{"stat", "/app"}, 1, "", "Node does not exist: /app\n"},
		// Null and empty data cross the bus apart: "null" only for null.
		{[]string{"create", "/null"}, 0, "", "Created /null\n"},
		{[]string{"get", "/null"}, 0, "null\n", ""},
		{[]string{"create", "/empty", ""}, 0, "", "Created /empty\n"},
		{[]string{"get", "/empty"}, 0, "\n", ""},
		{[]string{"set", "/null", ""}, 0, "", ""},
		{[]string{"get", "/null"}, 0, "\n", ""},
	}
	for _, s := range steps {
		code, out, errOut := run(s.args...)
		if code != s.code || out != s.out || errOut != s.errPrefix {
			t.Fatalf("%v: code %d out %q err %q; want %d %q %q", s.args, code, out, errOut, s.code, s.out, s.errPrefix)
		}
	}
	// Each invocation opened and closed its own session.
	opened, closed := 0, 0
	for _, r := range f.Requests() {
		switch r.Op.Op {
		case -10:
			opened++
		case -11:
			closed++
		}
	}
	if opened != len(steps) || closed != len(steps) {
		t.Fatalf("%d sessions opened, %d closed; want %d", opened, closed, len(steps))
	}
}
