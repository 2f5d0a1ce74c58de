package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/admin"
	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/zkwire"
)

// startAdmin starts the AdminServer when the configuration enables it.
// A port that cannot be bound is logged and the node goes on without
// it, as ZooKeeper's does: the client port matters, the AdminServer is a
// convenience.
func (n *Node) startAdmin() {
	a := n.cfg.Admin
	if !a.Enabled {
		return
	}
	an := &adminNode{n: n}
	if text, err := os.ReadFile(n.cfg.Path); err == nil {
		an.initial = config.RedactSecrets(string(text))
	} else {
		an.initialErr = fmt.Errorf("the configuration file cannot be read: %w", err)
	}
	srv, err := admin.Listen(admin.Config{Addr: a.Addr(), CommandURL: a.CommandURL, IdleTimeout: a.IdleTimeout, Node: an, Log: n.log})
	if err != nil {
		n.log.Error("AdminServer not started; the node serves without it", "addr", a.Addr(), "err", err)
		return
	}
	n.admin = srv
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := srv.Serve(); err != nil {
			n.log.Error("AdminServer stopped; the node serves without it", "err", err)
		}
	}()
	n.log.Info("AdminServer started", "addr", srv.Addr().String(), "commandURL", a.CommandURL)
}

// AdminAddr is the AdminServer's bound address, "" when it does not run
// (switched off, or its port could not be bound).
func (n *Node) AdminAddr() string {
	if n.admin == nil {
		return ""
	}
	return n.admin.Addr().String()
}

// Ready reports whether the node serves clients with a quorum behind it
// (as leader, follower or standalone) and if not, why not, for /readyz.
func (n *Node) Ready() (bool, string) {
	if n.Mode() != zkwire.ModeLooking {
		return true, ""
	}
	st, ss := n.vote.Status(), n.StoreStatus()
	switch {
	case ss.DiskFull:
		return false, "the disk is full: requests are refused until space returns"
	case st.State == msg.StateLooking:
		return false, "looking for a leader: no quorum of voters has agreed on one"
	case st.State == msg.StateLeading && !st.Established:
		return false, fmt.Sprintf("leading epoch %d: waiting for a quorum of followers to accept it", st.Epoch)
	case st.State == msg.StateLeading:
		return false, fmt.Sprintf("leading epoch %d: waiting for a quorum of followers to sync", st.Epoch)
	case !st.Established:
		return false, fmt.Sprintf("following node %d: waiting for its epoch to be established", st.Leader)
	}
	return false, fmt.Sprintf("following node %d: syncing with the leader", st.Leader)
}

// zabState is ZooKeeper's name for the Zab phase the node is in.
func (n *Node) zabState() string {
	st := n.vote.Status()
	switch {
	case st.State == msg.StateLooking:
		return "election"
	case !st.Established:
		return "discovery"
	case !n.StoreStatus().Serving:
		return "synchronization"
	}
	return "broadcast"
}

// adminNode is the node as the AdminServer reads it.
type adminNode struct {
	n *Node
	// initial is the configuration file read at start, secrets hidden;
	// initialErr why it could not be read.
	initial    string
	initialErr error
}

var _ admin.Node = (*adminNode)(nil)

func (a *adminNode) Status(word string) zkwire.Status { return a.n.zk.StatusFor(word) }
func (a *adminNode) ResetServerStats()                { a.n.zk.ResetServerStats() }
func (a *adminNode) ResetConnectionStats()            { a.n.zk.ResetConnectionStats() }
func (a *adminNode) Ready() (bool, string)            { return a.n.Ready() }
func (a *adminNode) InitialConfig() (string, error)   { return a.initial, a.initialErr }

// errNoSnapshotFile: the newest snapshot's file is not on the host's
// file system (the node runs on another, in a test).
var errNoSnapshotFile = errors.New("server: the newest snapshot's file cannot be read")

func (a *adminNode) LastSnapshot() (uint64, time.Time, error) {
	zxid, path := a.n.wal.LastSnapshot()
	fi, err := os.Stat(path)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("%w: %w", errNoSnapshotFile, err)
	}
	return zxid, fi.ModTime(), nil
}

func (a *adminNode) Peer() admin.Peer {
	n := a.n
	st := n.vote.Status()
	p := admin.Peer{
		Standalone: n.cfg.Standalone(),
		MyID:       uint64(n.id),
		Leading:    st.State == msg.StateLeading,
		ZabState:   n.zabState(),
		Voting:     !n.cfg.IsObserver(),
		ClientAddr: n.ClientAddr(),
	}
	if st.State != msg.StateLooking {
		p.LeaderID = uint64(st.Leader)
	}
	for _, s := range n.cfg.Servers {
		if s.ID == n.id {
			host := strings.Trim(s.Host, "[]")
			p.QuorumAddr = net.JoinHostPort(host, strconv.Itoa(s.ClusterPort))
			p.ElectionAddr = net.JoinHostPort(host, strconv.Itoa(s.BusPort))
		}
		if p.LeaderID != 0 && uint64(s.ID) == p.LeaderID {
			p.LeaderHost = s.Host
		}
	}
	return p
}
