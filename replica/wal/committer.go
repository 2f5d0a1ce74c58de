package wal

import (
	"errors"
	"sync"
)

// Committer is group commit on its own goroutine. Submit only queues, so
// the caller (the replica actor's loop) never waits for a disk. The
// goroutine takes everything queued, appends it, fsyncs once, and reports
// to every submitter; submissions that arrive during that fsync form the
// next batch. It is the only writer of the Log while it runs: do not call
// Append, Sync or TruncateAfter concurrently (wait for Close first).
//
// ErrNoSpace is final for a Committer: the log dropped the entries it had
// not synced, so later submissions would leave a gap. Every submission
// after it fails with it; the owner closes the Committer, resynchronizes
// and starts a new one once space returns.
type Committer struct {
	l       *Log
	noSpace error // the first ErrNoSpace; committer goroutine only

	mu     sync.Mutex
	queue  []submission
	kick   chan struct{} // capacity 1: "the queue is not empty"
	closed bool
	done   chan struct{}
}

type submission struct {
	entries []Entry
	done    func(durable uint64, err error)
}

// NewCommitter starts the commit goroutine for l.
func NewCommitter(l *Log) *Committer {
	c := &Committer{l: l, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go c.run()
	return c
}

// Submit queues entries to be appended and made durable; done is called
// once, from the committer's goroutine, with the durable zxid after the
// batch's fsync, or with the error that kept this submission (or its
// batch's fsync) from becoming durable. Submissions are appended in Submit
// order, so zxids must ascend across calls. done must not block for long:
// it holds up the next batch. An empty submission is a durability barrier.
// After Close, done gets ErrClosed at once.
func (c *Committer) Submit(entries []Entry, done func(durable uint64, err error)) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		done(0, ErrClosed)
		return
	}
	c.queue = append(c.queue, submission{entries, done})
	// Under mu, so Close can't close kick in between.
	select {
	case c.kick <- struct{}{}:
	default:
	}
	c.mu.Unlock()
}

// Close stops taking submissions, waits until everything already queued
// is committed and reported, and stops the goroutine. It does not close
// the Log.
func (c *Committer) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.kick)
	}
	c.mu.Unlock()
	<-c.done
}

func (c *Committer) run() {
	defer close(c.done)
	var batch []submission
	for {
		_, open := <-c.kick
		c.mu.Lock()
		batch, c.queue = c.queue, batch[:0]
		c.mu.Unlock()
		if len(batch) > 0 {
			c.commit(batch)
			clear(batch) // drop references to entries and callbacks
		}
		if !open {
			return
		}
	}
}

func (c *Committer) commit(batch []submission) {
	errs := make([]error, len(batch))
	for i, s := range batch {
		if c.noSpace != nil {
			errs[i] = c.noSpace
			continue
		}
		errs[i] = c.l.Append(s.entries...)
		if errors.Is(errs[i], ErrNoSpace) {
			c.noSpace = errs[i]
		}
	}
	err := c.noSpace
	if err == nil {
		err = c.l.Sync()
		if errors.Is(err, ErrNoSpace) {
			c.noSpace = err
		}
	}
	durable := c.l.DurableZxid()
	for i, s := range batch {
		if errs[i] != nil {
			s.done(0, errs[i])
		} else {
			s.done(durable, err)
		}
	}
}
