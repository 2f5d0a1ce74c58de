package server

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/paddock-zk/paddock/actors/buswire"
	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/store"
	"github.com/paddock-zk/paddock/zk"
)

// Two native clients share one client credential. The second, dropping to
// raw NATS with that credential, reads none of the first's replies or
// watch events (so never its session's password), cannot make a node
// answer anywhere but its own inbox, and cannot close or take over the
// first's session knowing its id, which the first's ephemeral shows.
func TestSessionsIsolatedUnderOneCredential(t *testing.T) {
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, ""), startNode)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	urls := []string{nodes[0].BusURL(), nodes[1].BusURL(), nodes[2].BusURL()}
	creds := client.WithCredentials(testkit.ClientUser, testkit.ClientPassword)

	// The eavesdropper subscribes wherever its permissions might let it.
	var mu sync.Mutex
	var violations []string
	var overheard []string
	spy := newRaw(t, nodes[0], nats.UserInfo(testkit.ClientUser, testkit.ClientPassword),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			mu.Lock()
			violations = append(violations, err.Error())
			mu.Unlock()
		}))
	wide := []string{">", "_PDK.>", "_PDK.*", "_INBOX.>", "pdk.t.>", "pdk.t.req.*.*"}
	for _, subj := range wide {
		if _, err := spy.nc.Subscribe(subj, func(m *nats.Msg) {
			mu.Lock()
			overheard = append(overheard, m.Subject)
			mu.Unlock()
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := spy.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "every wide subscription refused", 5*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		refused := 0
		for _, subj := range wide {
			for _, v := range violations {
				if strings.Contains(v, `Subscription to "`+subj+`"`) {
					refused++
					break
				}
			}
		}
		return refused == len(wide)
	})

	victim, err := client.Connect(ctx, urls, creds)
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	if _, err := victim.Create(ctx, "/victim", []byte("v0"), zk.Ephemeral, nil); err != nil {
		t.Fatal(err)
	}
	_, _, events, err := victim.GetW(ctx, "/victim")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := victim.Set(ctx, "/victim", []byte("v1"), -1); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if ev.Path != "/victim" {
			t.Fatalf("victim's event %+v", ev)
		}
	case <-ctx.Done():
		t.Fatal("the victim's watch never fired")
	}

	// The spy knows the session id, as anyone does who reads the
	// ephemeral's Stat, and tries to end or take over the session with
	// every password it could compute. It also names a consensus subject
	// as the NATS reply subject: the node answers on the spy's own inbox.
	_, st, err := victim.Get(ctx, "/victim")
	if err != nil || st.EphemeralOwner != victim.SessionID() {
		t.Fatalf("stat %+v, %v", st, err)
	}
	id := st.EphemeralOwner
	for _, guess := range [][]byte{nil, store.Passwd(id), store.SessionPasswd([]byte("guess"), id)} {
		rp := spy.do(ctx, 1, &msg.Request{Session: id, Xid: 1, Passwd: guess, Op: msg.Op{Op: zk.OpCloseSession}})
		if rp.Err != zk.SessionExpired {
			t.Fatalf("closeSession of another session: %s, want SessionExpired", rp.Err)
		}
		rp = spy.do(ctx, 2, &msg.Request{Session: id, Passwd: guess, Timeout: 4000, Op: msg.Op{Op: zk.OpCreateSession}})
		if rp.Err != zk.SessionExpired {
			t.Fatalf("re-attach to another session: %s, want SessionExpired", rp.Err)
		}
	}
	own, err := spy.nc.SubscribeSync(buswire.Inbox(spy.tok))
	if err != nil {
		t.Fatal(err)
	}
	probe, err := buswire.Encode(msg.New(msg.Addr{}, msg.Addr{Node: 1, Role: msg.RoleStore},
		&msg.Request{Session: id, Xid: 7, Op: msg.Op{Op: zk.OpCloseSession}}))
	if err != nil {
		t.Fatal(err)
	}
	consensus := buswire.Subject("t", msg.Addr{Node: 2, Role: msg.RoleStore})
	if err := spy.nc.PublishRequest(buswire.RequestSubject("t", 1, spy.tok), consensus, probe); err != nil {
		t.Fatal(err)
	}
	if m, err := own.NextMsg(10 * time.Second); err != nil {
		t.Fatalf("no answer on the spy's own inbox to a request naming %s: %v", consensus, err)
	} else if env, err := buswire.Decode(m.Data); err != nil || env.Body.(*msg.Reply).Xid != 7 {
		t.Fatalf("answer %+v, %v", env, err)
	}
	if data, _, err := victim.Get(ctx, "/victim"); err != nil || string(data) != "v1" {
		t.Fatalf("the victim's session after the attempts: %q, %v", data, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(overheard) > 0 {
		t.Fatalf("the spy read %d messages, first on %s", len(overheard), overheard[0])
	}
}
