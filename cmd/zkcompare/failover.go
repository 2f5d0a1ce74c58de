package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// failoverTrial kills the leader of c with SIGKILL while a writer on a
// surviving follower writes in a loop, and returns the time from the kill
// to the acknowledgement of the first write issued after it. A write
// already in flight at the kill does not count, even if it is acknowledged
// later: it may have been committed before the kill. The killed node is
// then restarted and the ensemble left settled (every node serving, the
// same zxid everywhere) for the next trial.
func failoverTrial(ctx context.Context, c cluster) (time.Duration, error) {
	leader, err := waitServing(ctx, c, c.IDs(), true, 2*time.Minute)
	if err != nil {
		return 0, err
	}
	follower := 0
	for _, id := range c.IDs() {
		if id != leader {
			follower = id
			break
		}
	}
	// A session timeout well above any failover, so the writer's session
	// survives it on both systems.
	s, err := connect(ctx, []string{c.ClientAddr(follower)}, 20*time.Second)
	if err != nil {
		return 0, fmt.Errorf("%s failover writer on node %d: %w", c.Name(), follower, err)
	}
	type ack struct{ issued, acked time.Time }
	acks := make(chan ack, 1<<16)
	done := make(chan struct{})
	// The errors the writer saw, for the log: they tell where a slow
	// failover spent its time (a write held until a timeout, or refused
	// connections while the survivors elect).
	var errMu sync.Mutex
	var errs []writeErr
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			t0 := time.Now()
			if _, err := s.Set(failoverPath, value, -1); err != nil {
				errMu.Lock()
				errs = append(errs, writeErr{t0, time.Now(), err})
				errMu.Unlock()
				// Connection loss while the ensemble elects: retry,
				// briefly paced in case the error comes at once.
				time.Sleep(time.Millisecond)
				continue
			}
			select {
			case acks <- ack{t0, time.Now()}:
			default:
			}
		}
	}()
	defer func() {
		close(done)
		s.Close()
		wg.Wait()
	}()

	// The writer must be writing steadily before the kill.
	for n := 0; n < 50; {
		select {
		case <-acks:
			n++
		case <-time.After(30 * time.Second):
			errMu.Lock()
			last := "none"
			if len(errs) > 0 {
				last = errs[len(errs)-1].err.Error()
			}
			errMu.Unlock()
			return 0, fmt.Errorf("%s failover writer on node %d: no write acknowledged within 30 s (last error: %s); %s", c.Name(), follower, last, logHint(c))
		case <-ctx.Done():
			return 0, errCanceled
		}
	}
	kill := time.Now()
	c.Kill9(leader)
	var took time.Duration
	timeout := time.After(2 * time.Minute)
wait:
	for {
		select {
		case a := <-acks:
			if !a.issued.Before(kill) {
				took = a.acked.Sub(kill)
				break wait
			}
		case <-timeout:
			return 0, fmt.Errorf("%s: no write acknowledged within 2 min of killing leader %d (%s); %s", c.Name(), leader, modes(ctx, c), logHint(c))
		case <-ctx.Done():
			return 0, errCanceled
		}
	}
	errMu.Lock()
	var during []string
	for _, e := range errs {
		if e.failed.After(kill) && len(during) < 3 {
			during = append(during, fmt.Sprintf("%v issued %+.0f ms, failed %+.0f ms", e.err, ms(e.issued.Sub(kill)), ms(e.failed.Sub(kill))))
		}
	}
	n := len(errs)
	errMu.Unlock()
	slog.Info("failover", "system", c.Name(), "killed", leader, "writer on", follower, "ms", ms(took),
		"write errors", n, "first errors", strings.Join(during, "; "))

	if err := c.Start(leader); err != nil {
		return 0, err
	}
	if _, err := waitServing(ctx, c, c.IDs(), false, 2*time.Minute); err != nil {
		return 0, fmt.Errorf("after restarting node %d: %w", leader, err)
	}
	return took, nil
}

// settle waits until every node serves with the same zxid and then a
// little more, so a restarted node's catch-up is not part of the next
// measurement. The writer of a trial has stopped by then.
func settle(ctx context.Context, c cluster) error {
	if _, err := waitServing(ctx, c, c.IDs(), true, 2*time.Minute); err != nil {
		return err
	}
	return sleepCtx(ctx, time.Second)
}

// writeErr is a failed write of the failover writer, with when it was
// issued and when it failed (the log prints both against the kill).
type writeErr struct {
	issued, failed time.Time
	err            error
}
