package server

import (
	"errors"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
)

// ACLs over the wire with an unmodified ZooKeeper client: digest, auth,
// world and ip schemes, per-node permissions, getACL needing READ, the
// super digest from zoo.cfg, and addauth of an unknown scheme failing.
func TestZooKeeperClientACL(t *testing.T) {
	testutil.SkipShort(t, "a second ensemble for ACLs")
	// super:test
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, "paddock.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=\n"), startNode)
	owner := zkConnect(t, []string{nodes[0].ClientAddr()})
	other := zkConnect(t, []string{nodes[1].ClientAddr()})
	super := zkConnect(t, []string{nodes[2].ClientAddr()})
	if err := owner.AddAuth("digest", []byte("user:pw")); err != nil {
		t.Fatal(err)
	}
	if err := super.AddAuth("digest", []byte("super:test")); err != nil {
		t.Fatal(err)
	}

	if _, err := owner.Create("/open", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Create("/secure", []byte("s"), 0, zk.DigestACL(zk.PermAll, "user", "pw")); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Create("/mine", []byte("m"), 0, zk.AuthACL(zk.PermRead|zk.PermWrite)); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Create("/secure/kid", []byte("k"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	ipRead := []zk.ACL{{Perms: zk.PermRead, Scheme: "ip", ID: "127.0.0.0/8"}}
	if _, err := owner.Create("/local", []byte("l"), 0, ipRead); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Create("/remote", []byte("r"), 0, []zk.ACL{{Perms: zk.PermAll, Scheme: "ip", ID: "10.0.0.0/8"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Create("/x", nil, 0, zk.AuthACL(zk.PermAll)); !errors.Is(err, zk.ErrInvalidACL) {
		t.Fatalf("auth ACL without auth: %v", err)
	}

	// Another client (through another node) without the digest.
	testkit.WaitFor(t, "/secure at the other node", 10*time.Second, func() bool {
		ok, _, err := other.Exists("/secure")
		return err == nil && ok
	})
	for what, err := range map[string]error{
		"get":      secondOf3(other.Get("/secure")),
		"getACL":   secondOf3(other.GetACL("/secure")),
		"children": secondOf3(other.Children("/secure")),
		"set":      second(other.Set("/secure", nil, -1)),
		"create":   second(other.Create("/secure/c", nil, 0, zk.WorldACL(zk.PermAll))),
		"delete":   other.Delete("/secure/kid", -1),
		"setACL":   second(other.SetACL("/secure", zk.WorldACL(zk.PermAll), -1)),
		"get auth": secondOf3(other.Get("/mine")),
		"set ip":   second(other.Set("/local", nil, -1)),
		"get ip":   secondOf3(other.Get("/remote")),
	} {
		if !errors.Is(err, zk.ErrNoAuth) {
			t.Errorf("%s without the digest: %v, want NoAuth", what, err)
		}
	}
	// Not recursive; ip matches the client's address.
	if d, _, err := other.Get("/secure/kid"); err != nil || string(d) != "k" {
		t.Fatalf("open child of a closed node: %q %v", d, err)
	}
	if d, _, err := other.Get("/local"); err != nil || string(d) != "l" {
		t.Fatalf("ip 127.0.0.0/8 from 127.0.0.1: %q %v", d, err)
	}
	// The owner can; the super user can do anything.
	if d, _, err := owner.Get("/mine"); err != nil || string(d) != "m" {
		t.Fatalf("owner get: %q %v", d, err)
	}
	if acl, _, err := owner.GetACL("/mine"); err != nil || len(acl) != 1 || acl[0].Scheme != "digest" || acl[0].ID != zk.DigestACL(0, "user", "pw")[0].ID {
		t.Fatalf("owner getACL: %+v %v", acl, err)
	}
	if _, err := super.Set("/secure", []byte("S"), -1); err != nil {
		t.Fatalf("super set: %v", err)
	}
	if _, _, err := super.Get("/remote"); err != nil {
		t.Fatalf("super get: %v", err)
	}
	if err := super.Delete("/secure/kid", -1); err != nil {
		t.Fatalf("super delete: %v", err)
	}

	// The digest lets the other client in.
	if err := other.AddAuth("digest", []byte("user:pw")); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "super's write at the other node", 10*time.Second, func() bool {
		d, _, err := other.Get("/secure")
		return err == nil && string(d) == "S"
	})

	// An unknown scheme: AuthFailed and the connection closes; the client
	// reconnects with its session.
	bad := zkConnect(t, []string{nodes[0].ClientAddr()})
	if err := bad.AddAuth("foo", []byte("bar")); !errors.Is(err, zk.ErrAuthFailed) {
		t.Fatalf("addauth foo: %v", err)
	}
	testkit.WaitFor(t, "the client back after the closed connection", 10*time.Second, func() bool {
		_, _, err := bad.Get("/open")
		return err == nil
	})
}

func second[T any](_ T, err error) error { return err }

func secondOf3[T, U any](_ T, _ U, err error) error { return err }
