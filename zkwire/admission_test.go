package zkwire

import (
	"math/rand"
	"sync"
	"testing"
	"time"
)

// Connections that pipeline at random, whose writers die at random (the
// reader is then stopped, as serveClient's writer does), close and come
// back keep the admission's books: never more tickets out than the
// bounds, and none left out once every connection has closed.
func TestAdmissionKeepsItsBooks(t *testing.T) {
	ad := newAdmission(4, 3)
	ad.busy = 0 // no pace: the books, not the clock
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			r := rand.New(rand.NewSource(seed))
			for conn := 0; conn < 50; conn++ {
				var c admitter
				done := make(chan struct{})
				var once sync.Once
				stop := func() { once.Do(func() { close(done) }) }
				replies := make(chan ticket, 64)
				dies := r.Intn(30) // after this many replies, if it gets them
				var rw sync.WaitGroup
				rw.Add(1)
				go func() { // the writer: replies come back in order
					defer rw.Done()
					i := 0
					for tk := range replies {
						time.Sleep(time.Duration(tk) * time.Microsecond)
						if i == dies {
							stop() // its tickets stay out until close
						}
						if i < dies {
							ad.release(&c, tk)
						}
						i++
					}
				}()
				n := r.Intn(20)
				for i := 0; i < n; i++ {
					tk, ok := ad.admit(&c, done, true)
					if !ok {
						break // the writer died
					}
					ad.mu.Lock()
					if ad.piped > ad.maxPiped || ad.fresh > ad.maxFresh {
						t.Errorf("tickets out: %d fresh, %d pipelined", ad.fresh, ad.piped)
					}
					ad.mu.Unlock()
					replies <- tk
				}
				close(replies)
				rw.Wait()
				stop()
				ad.close(&c)
			}
		}(int64(w))
	}
	wg.Wait()
	if f, p := ad.inFlight(); f != 0 || p != 0 {
		t.Fatalf("%d fresh and %d pipelined tickets out after every connection closed", f, p)
	}
}

// fakeClock is a settable clock for the admission's pace; its timers
// never fire (the test hands out tickets by releasing others).
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func pacedAdmission(maxPiped int) (*admission, *fakeClock) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	ad := newAdmission(100, maxPiped)
	ad.now = clk.now
	ad.afterFunc = func(time.Duration, func()) *time.Timer { return nil }
	ad.refilled = clk.t // no credits saved up before the test
	return ad, clk
}

// admitNow admits without waiting: the ticket, or noTicket and the
// waiter left queued (cancelled at the test's end with done).
func admitNow(t *testing.T, ad *admission, c *admitter, done chan struct{}) ticket {
	t.Helper()
	got := make(chan ticket, 1)
	go func() {
		tk, _ := ad.admit(c, done, true)
		got <- tk
	}()
	select {
	case tk := <-got:
		return tk
	case <-time.After(100 * time.Millisecond):
		return noTicket
	}
}

// A connection's request is fresh when it has none in flight, pipelined
// otherwise; pipelined ones are bounded over the node and handed out in
// turn, so one connection cannot take every place.
func TestAdmissionRoundRobin(t *testing.T) {
	ad, _ := pacedAdmission(2)
	ad.busy = 0 // no pace
	done := make(chan struct{})
	defer close(done)
	var a, b admitter
	if tk := admitNow(t, ad, &a, done); tk != freshTicket {
		t.Fatalf("a's first request: ticket %d, want fresh", tk)
	}
	if tk := admitNow(t, ad, &a, done); tk != pipedTicket {
		t.Fatalf("a's second request: ticket %d, want pipelined", tk)
	}
	if tk := admitNow(t, ad, &a, done); tk != pipedTicket {
		t.Fatalf("a's third request: ticket %d, want pipelined", tk)
	}
	if tk := admitNow(t, ad, &b, done); tk != freshTicket {
		t.Fatalf("b's first request: ticket %d, want fresh, whatever a holds", tk)
	}
	// Both pipelined places are a's: a's fourth and b's second wait, in
	// that order; a place given back goes to a, the next to b.
	aWait := make(chan ticket, 1)
	go func() { tk, _ := ad.admit(&a, done, true); aWait <- tk }()
	waitQueued(t, ad, 1)
	bWait := make(chan ticket, 1)
	go func() { tk, _ := ad.admit(&b, done, true); bWait <- tk }()
	waitQueued(t, ad, 2)
	ad.release(&a, pipedTicket)
	if tk := <-aWait; tk != pipedTicket {
		t.Fatalf("a's fourth: ticket %d", tk)
	}
	ad.release(&a, pipedTicket)
	if tk := <-bWait; tk != pipedTicket {
		t.Fatalf("b's second: ticket %d", tk)
	}
}

func waitQueued(t *testing.T, ad *admission, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ad.mu.Lock()
		q := len(ad.queue) - ad.head
		ad.mu.Unlock()
		if q == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d waiting, want %d", q, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// While clients that wait for their answers are active, pipelined
// requests go at the pace of their credits: a share per fresh request and
// the floor's; pings earn none. Once none has come for busyWindow,
// pipelined requests go as the bound allows.
func TestAdmissionPacesPipelinedWhileClientsWait(t *testing.T) {
	ad, clk := pacedAdmission(8)
	done := make(chan struct{})
	defer close(done)
	var flood, good admitter
	if tk := admitNow(t, ad, &flood, done); tk != freshTicket {
		t.Fatalf("flood's first: %d", tk)
	}
	// The flood's own fresh request earned a quarter credit: not enough.
	if tk := admitNow(t, ad, &flood, done); tk != noTicket {
		t.Fatalf("a pipelined request went on without a credit: %d", tk)
	}
	// Three fresh requests of the good client (each answered before the
	// next) make the credit whole; the waiting request goes.
	for i := 0; i < 3; i++ {
		if tk := admitNow(t, ad, &good, done); tk != freshTicket {
			t.Fatalf("good's request %d: %d", i, tk)
		}
		ad.release(&good, freshTicket)
	}
	waitQueued(t, ad, 0)
	if _, p := ad.inFlight(); p != 1 {
		t.Fatalf("%d pipelined out, want 1", p)
	}
	// Pings earn nothing.
	if tk := admitNow(t, ad, &flood, done); tk != noTicket {
		t.Fatalf("pipelined without a credit: %d", tk)
	}
	for i := 0; i < 8; i++ {
		tk, _ := ad.admit(&good, done, false)
		ad.release(&good, tk)
	}
	if _, p := ad.inFlight(); p != 1 {
		t.Fatalf("pings earned credits: %d pipelined out", p)
	}
	// The floor: one credit per pipelinedFloor.
	clk.t = clk.t.Add(pipelinedFloor)
	ad.release(&flood, pipedTicket) // any release hands out what is due
	waitQueued(t, ad, 0)
	// Quiet: no fresh request for busyWindow; pipelined requests go up to
	// the bound, without credits.
	clk.t = clk.t.Add(busyWindow)
	for i := 0; i < 7; i++ {
		if tk := admitNow(t, ad, &flood, done); tk != pipedTicket {
			t.Fatalf("quiet node, pipelined request %d: %d", i, tk)
		}
	}
	if tk := admitNow(t, ad, &flood, done); tk != noTicket {
		t.Fatalf("past the bound of 8: %d", tk)
	}
}
