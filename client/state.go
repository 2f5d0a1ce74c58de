package client

import (
	"sync"

	"github.com/paddock-zk/paddock/zk"
)

// State is the state of a Conn's session: ZooKeeper's KeeperState, of
// which a Conn takes the four below. Its String is ZooKeeper's name
// ("SyncConnected", "Disconnected", "Expired", "Closed").
type State = zk.KeeperState

const (
	// StateConnected means the session is attached to a node that serves it.
	StateConnected = zk.StateSyncConnected
	// StateDisconnected means the session lost its node and is being moved to
	// another one; calls wait for that (within their context and the
	// session timeout).
	StateDisconnected = zk.StateDisconnected
	// StateExpired means the session is gone (a node said so, or it could not
	// be re-attached within the session timeout); every call fails with
	// ErrSessionExpired. Final but for StateClosed after Close.
	StateExpired = zk.StateExpired
	// StateClosed means Close was called. Final.
	StateClosed = zk.StateClosed
)

// WithStateListener calls f with every state change of the Conn, in order,
// from one goroutine of its own (StateConnected first, once Connect has
// opened the session). f must not block for long: later changes wait for
// it. The listener ends after StateClosed.
func WithStateListener(f func(State)) Option {
	return func(o *options) { o.listeners = append(o.listeners, f) }
}

// stateSub delivers state changes to one listener in order without
// blocking the Conn: an unbounded queue drained by its own goroutine.
type stateSub struct {
	mu   sync.Mutex
	q    []State
	wake chan struct{}
}

func newStateSub(deliver func(State), end func()) *stateSub {
	s := &stateSub{wake: make(chan struct{}, 1)}
	go func() {
		defer end()
		for range s.wake {
			s.mu.Lock()
			q := s.q
			s.q = nil
			s.mu.Unlock()
			for _, st := range q {
				deliver(st)
				if st == StateClosed {
					return
				}
			}
		}
	}()
	return s
}

func (s *stateSub) push(st State) {
	s.mu.Lock()
	s.q = append(s.q, st)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// State is the session's current state.
func (c *Conn) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// States returns a channel that receives the current state and then every
// later change, in order, none dropped (each channel has an unbounded
// queue of its own). It is closed after StateClosed; read it until then,
// or its goroutine stays behind.
func (c *Conn) States() <-chan State {
	ch := make(chan State)
	s := newStateSub(func(st State) { ch <- st }, func() { close(ch) })
	c.mu.Lock()
	s.push(c.state)
	if c.state != StateClosed {
		c.subs = append(c.subs, s)
	}
	c.mu.Unlock()
	return ch
}

// setStateLocked records a state change and queues it for the listeners;
// c.mu is held.
func (c *Conn) setStateLocked(st State) {
	if c.state == st || c.state == StateClosed {
		return
	}
	c.state = st
	for _, s := range c.subs {
		s.push(st)
	}
	if st == StateClosed {
		c.subs = nil
	}
}
