package sim

import (
	"testing"

	"github.com/paddock-zk/paddock/replica"
	"github.com/paddock-zk/paddock/zk"
)

// TestObserverServesButNeverCounts: an observer serves sessions, reads and
// forwarded writes, but its ack is no vote: with two of three voters down
// a write through it waits, and commits once a voter returns; and it never
// leads.
func TestObserverServesButNeverCounts(t *testing.T) {
	s := stableSimWith(t, 3, Options{Observers: 1})
	obs := s.Observers[0]
	if st := s.Nodes[obs].Store.Status(); st.Role != replica.RoleFollower || !st.Serving {
		t.Fatalf("observer status %+v", st)
	}
	c := s.session(obs, "c")
	if rp := c.do(obs, create("/o", "1", zk.Persistent)); rp.Err != 0 {
		t.Fatalf("create through the observer: %d", rp.Err)
	}
	if rp := c.do(obs, getData("/o")); rp.Err != 0 || string(rp.Data) != "1" {
		t.Fatalf("read at the observer: %d %q", rp.Err, rp.Data)
	}

	l := s.leaderID()
	var down []int
	for _, id := range s.Voters {
		if id != l {
			// No route-down notice: the leader keeps leading until
			// syncLimit, long enough to commit if the observer counted.
			s.Crash(id)
			down = append(down, int(id))
		}
	}
	xid := c.send(obs, setData("/o", "2", -1))
	for range 60 {
		s.step()
		for _, rp := range s.captured[c.name] {
			if rp.Xid == xid && rp.Err == 0 {
				t.Fatalf("write acknowledged with voters %v down: the observer's ack counted", down)
			}
		}
		if s.leaderID() == obs {
			t.Fatal("the observer leads")
		}
	}
	for _, id := range s.Voters {
		s.Start(id)
	}
	s.settle()
	if l := s.leaderID(); l == obs {
		t.Fatal("the observer leads")
	}
	// The write above may have been lost with the leader's epoch (it was
	// never acknowledged); a new one goes through.
	c2 := s.session(obs, "c2")
	if rp := c2.do(obs, setData("/o", "3", -1)); rp.Err != 0 {
		t.Fatalf("write after the voters returned: %d", rp.Err)
	}
	s.settle()
	s.checkFinal()
}
