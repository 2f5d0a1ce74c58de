package zkcli

import (
	"bytes"
	"context"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/zk"
)

// memWatches are memClient's watches with ZooKeeper's triggers: one-shot
// data, exists and child watches, persistent (recursive) ones.
type memWatches struct {
	data, child map[string][]chan client.Event // exists watches are data watches
	persist     map[string][]memPersist
}

type memPersist struct {
	ch        chan client.Event
	recursive bool
}

func (w *memWatches) init() {
	if w.data == nil {
		w.data, w.child, w.persist = map[string][]chan client.Event{}, map[string][]chan client.Event{}, map[string][]memPersist{}
	}
}

func oneShot(set map[string][]chan client.Event, p string, t client.EventType) {
	for _, ch := range set[p] {
		ch <- client.Event{Type: t, State: client.StateConnected, Path: p}
		close(ch)
	}
	delete(set, p)
}

func (m *memClient) fire(p string, t client.EventType) {
	w := &m.w
	w.init()
	parent := path.Dir(p)
	oneShot(w.data, p, t)
	if t == client.EventNodeDeleted {
		oneShot(w.child, p, t)
	}
	if t != client.EventNodeDataChanged {
		oneShot(w.child, parent, client.EventNodeChildrenChanged)
	}
	for q, ws := range w.persist {
		for _, pw := range ws {
			switch {
			case q == p:
				pw.ch <- client.Event{Type: t, State: client.StateConnected, Path: p}
			case !pw.recursive && q == parent && t != client.EventNodeDataChanged:
				pw.ch <- client.Event{Type: client.EventNodeChildrenChanged, State: client.StateConnected, Path: q}
			case pw.recursive && (q == "/" || strings.HasPrefix(p, q+"/")):
				pw.ch <- client.Event{Type: t, State: client.StateConnected, Path: p}
			}
		}
	}
}

func (m *memClient) arm(set map[string][]chan client.Event, p string) <-chan client.Event {
	ch := make(chan client.Event, 1)
	set[p] = append(set[p], ch)
	return ch
}

func (m *memClient) GetW(ctx context.Context, p string) ([]byte, zk.Stat, <-chan client.Event, error) {
	m.w.init()
	data, st, err := m.Get(ctx, p)
	if err != nil {
		return nil, st, nil, err
	}
	return data, st, m.arm(m.w.data, p), nil
}

func (m *memClient) ExistsW(ctx context.Context, p string) (zk.Stat, bool, <-chan client.Event, error) {
	m.w.init()
	st, ok, err := m.Exists(ctx, p)
	return st, ok, m.arm(m.w.data, p), err
}

func (m *memClient) ChildrenW(ctx context.Context, p string) ([]string, zk.Stat, <-chan client.Event, error) {
	m.w.init()
	kids, st, err := m.Children(ctx, p)
	if err != nil {
		return nil, st, nil, err
	}
	return kids, st, m.arm(m.w.child, p), nil
}

func (m *memClient) AddWatch(_ context.Context, p string, recursive bool) (<-chan client.Event, error) {
	m.w.init()
	m.calls = append(m.calls, "addWatch "+p)
	ch := make(chan client.Event, 16)
	m.w.persist[p] = append(m.w.persist[p], memPersist{ch, recursive})
	return ch, nil
}

func (m *memClient) RemoveWatches(_ context.Context, p string, t client.WatcherType) error {
	m.w.init()
	m.calls = append(m.calls, "removeWatches "+p+" "+t.String())
	found := false
	if t == client.WatchData || t == client.WatchAny {
		found = found || len(m.w.data[p]) > 0
		oneShot(m.w.data, p, client.EventDataWatchRemoved)
	}
	if t == client.WatchChildren || t == client.WatchAny {
		found = found || len(m.w.child[p]) > 0
		oneShot(m.w.child, p, client.EventChildWatchRemoved)
	}
	if t == client.WatchAny {
		for _, pw := range m.w.persist[p] {
			found = true
			pw.ch <- client.Event{Type: client.EventPersistentWatchRemoved, State: client.StateConnected, Path: p}
			close(pw.ch)
		}
		delete(m.w.persist, p)
	}
	if !found {
		return nerr(zk.NoWatcher, p)
	}
	return nil
}

func watcher(state, typ, p string) string {
	return "\nWATCHER::\n\nWatchedEvent state:" + state + " type:" + typ + " path:" + p + "\n"
}

// TestCLIWatches runs watch commands in the shell, then the lines that
// trigger them, and checks the WATCHER:: blocks printed in between.
func TestCLIWatches(t *testing.T) {
	tests := []struct {
		name   string
		lines  []string
		events []string // in order, after the commands' own output
		out    string   // the commands' own stdout
		errOut string
	}{
		{name: "get -w fires on set", lines: []string{"get -w /a", "set /a v2"},
			out: "hello\n", events: []string{watcher("SyncConnected", "NodeDataChanged", "/a")}},
		{name: "get -w -s", lines: []string{"get -s -w /a/c", "delete /a/c"},
			out: "null\n" + strings.NewReplacer("Zxid = 0x1", "Zxid = 0x2", "pZxid = 0x3", "pZxid = 0x2", "cversion = 2", "cversion = 0",
				"dataLength = 5", "dataLength = 0", "numChildren = 2", "numChildren = 0").Replace(statA),
			events: []string{watcher("SyncConnected", "NodeDeleted", "/a/c")}},
		{name: "ls -w fires on a new child", lines: []string{"ls -w /a", "create /a/x"},
			out: "[b, c]\n", errOut: "Created /a/x\n", events: []string{watcher("SyncConnected", "NodeChildrenChanged", "/a")}},
		{name: "ls -R -w watches every node visited", lines: []string{"ls -R -w /a/b", "create /a/b/d/e"},
			out: "/a/b\n/a/b/d\n", errOut: "Created /a/b/d/e\n", events: []string{watcher("SyncConnected", "NodeChildrenChanged", "/a/b/d")}},
		{name: "stat -w on a missing node is an exists watch", lines: []string{"stat -w /n", "create /n"},
			errOut: "Node does not exist: /n\nCreated /n\n", events: []string{watcher("SyncConnected", "NodeCreated", "/n")}},
		{name: "one-shot: the second change is not seen", lines: []string{"get -w /a", "set /a 1", "set /a 2"},
			out: "hello\n", events: []string{watcher("SyncConnected", "NodeDataChanged", "/a")}},
		{name: "addWatch is recursive by default", lines: []string{"addWatch /a", "create /a/b/z", "set /a hi", "delete /a/b/z"},
			errOut: "Created /a/b/z\n", events: []string{
				watcher("SyncConnected", "NodeCreated", "/a/b/z"),
				watcher("SyncConnected", "NodeDataChanged", "/a"),
				watcher("SyncConnected", "NodeDeleted", "/a/b/z")}},
		{name: "addWatch -m PERSISTENT: the node and its children list", lines: []string{"addWatch -m persistent /a", "create /a/x", "set /a/x y", "set /a z"},
			errOut: "Created /a/x\n", events: []string{
				watcher("SyncConnected", "NodeChildrenChanged", "/a"),
				watcher("SyncConnected", "NodeDataChanged", "/a")}},
		{name: "addWatch with an unknown mode", lines: []string{"addWatch -m ONCE /a"},
			errOut: "addWatch [-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE\n"},
		{name: "removewatches -d", lines: []string{"get -w /a", "ls -w /a", "removewatches /a -d", "create /a/y"},
			out: "hello\n[b, c]\n", errOut: "Created /a/y\n", events: []string{
				watcher("SyncConnected", "DataWatchRemoved", "/a"),
				watcher("SyncConnected", "NodeChildrenChanged", "/a")}},
		{name: "removewatches (any) takes persistent ones too", lines: []string{"addWatch /a", "removewatches /a -l", "set /a q"},
			events: []string{watcher("SyncConnected", "PersistentWatchRemoved", "/a")}},
		{name: "removewatches without a watch", lines: []string{"removewatches /a -c"},
			errOut: "KeeperErrorCode = No such watcher for /a\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := seed(t)
			var out, errOut testutil.SyncBuffer
			sh := &Shell{Client: m, Server: "s", Out: &out, Err: &errOut, Options: Options{Location: time.UTC}}
			sh.Options.OnWatch = sh.PrintEvents
			for _, l := range tt.lines {
				sh.ExecuteLine(context.Background(), l)
			}
			want := tt.out + strings.Join(tt.events, "")
			deadline := time.Now().Add(5 * time.Second)
			for len(out.String()) < len(want) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond) // nothing more may come
			// Events print asynchronously: compare the commands' output
			// and the events apart.
			got := out.String()
			if !strings.HasPrefix(got, tt.out) && len(tt.events) == 0 {
				t.Fatalf("stdout %q; want %q", got, tt.out)
			}
			if got != want {
				// Events may come before a command's output that follows them.
				rest := got
				for _, ev := range tt.events {
					i := strings.Index(rest, ev)
					if i < 0 {
						t.Fatalf("stdout %q; want the events %q (and output %q)", got, tt.events, tt.out)
					}
					rest = rest[:i] + rest[i+len(ev):]
				}
				if rest != tt.out {
					t.Fatalf("stdout without events %q; want %q (all: %q)", rest, tt.out, got)
				}
			}
			if errOut.String() != tt.errOut {
				t.Fatalf("stderr %q; want %q", errOut.String(), tt.errOut)
			}
		})
	}
}

// TestCLIWatchOneShotMode: without a shell nobody prints events; the
// watch is set and a note says so.
func TestCLIWatchOneShotMode(t *testing.T) {
	for _, line := range []string{"get -w /a", "ls -w /a", "stat -w /a", "addWatch /a"} {
		m := seed(t)
		var out, errOut bytes.Buffer
		if err := Run(context.Background(), m, Split(line), &out, &errOut); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if errOut.String() != OneShotWatchNote+"\n" {
			t.Fatalf("%s: stderr %q", line, errOut.String())
		}
	}
}
