package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/zk"
)

// cmdRegister is `demo register NAME`: an ephemeral sequential child of
// /serverList holding NAME, kept while the session lives.
func cmdRegister(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("register", stderr)
	var cf connFlags
	cf.register(fs)
	// NAME may come before or after the flags.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if name == "" {
		return errors.New("register: want a NAME")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	c, err := cf.connect(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }() // a second Close is a no-op
	states := c.States()
	if err := ensureList(ctx, c); err != nil {
		return err
	}
	p, err := c.Create(ctx, listPath+"/server", []byte(name), zk.EphemeralSequential, zk.OpenACLUnsafe)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is online: %s\n", name, p)
	for {
		select {
		case <-ctx.Done():
			// Close sends closeSession: the ephemeral goes at once.
			return c.Close()
		case st, ok := <-states:
			if !ok || st == client.StateExpired || st == client.StateClosed {
				return fmt.Errorf("%s: session %s; %s is gone", name, st, p)
			}
		}
	}
}

// cmdMonitor is `demo monitor`: the list at start and on every change.
func cmdMonitor(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("monitor", stderr)
	var cf connFlags
	cf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	c, err := cf.connect(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }() // a second Close is a no-op
	go reportMoves(c, func(s string) { fmt.Fprintln(stderr, s) })
	err = monitor(ctx, c, func(names []string) {
		fmt.Fprintf(stdout, "Current service list: [%s]\n", strings.Join(names, ", "))
	})
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// reportMoves tells of the session's state changes and the node it
// serves from after each re-attach, until the Conn closes.
func reportMoves(c *client.Conn, say func(string)) {
	first := true
	for st := range c.States() {
		if first { // the current state, not a change
			first = false
			continue
		}
		switch st {
		case client.StateConnected:
			_, node := c.Node()
			say(fmt.Sprintf("session 0x%x is %s again, now served by node %d", c.SessionID(), st, node))
		case client.StateDisconnected:
			say(fmt.Sprintf("session 0x%x lost its node (%s); the client moves it to another node", c.SessionID(), st))
		case client.StateExpired:
			say(fmt.Sprintf("session 0x%x expired", c.SessionID()))
		}
	}
}

// monitor shows the registered names (the children's data, in the
// children's order) at start and every time the child watch fires,
// re-arming it each time, until ctx ends or the session does.
func monitor(ctx context.Context, c *client.Conn, show func([]string)) error {
	for {
		if err := ensureList(ctx, c); err == nil {
			break
		} else if err := retryable(ctx, c, err); err != nil {
			return err
		}
	}
	for {
		kids, _, events, err := c.ChildrenW(ctx, listPath)
		if err != nil {
			if errors.Is(err, client.ErrNoNode) {
				err = ensureList(ctx, c)
			}
			if err := retryable(ctx, c, err); err != nil {
				return err
			}
			continue
		}
		names, err := readNames(ctx, c, kids)
		if err != nil {
			if err := retryable(ctx, c, err); err != nil {
				return err
			}
			continue // the watch is armed twice: harmless
		}
		show(names)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-events:
			if !ok || ev.Type == client.EventNone {
				// No change event: the session changed state. Go on
				// unless it is over.
				if err := retryable(ctx, c, nil); err != nil {
					return err
				}
			}
		}
	}
}

func readNames(ctx context.Context, c *client.Conn, kids []string) ([]string, error) {
	kids = append([]string(nil), kids...)
	sort.Strings(kids)
	names := []string{}
	for _, k := range kids {
		data, _, err := c.Get(ctx, listPath+"/"+k)
		if errors.Is(err, client.ErrNoNode) {
			continue // gone between the list and the read
		}
		if err != nil {
			return nil, err
		}
		names = append(names, string(data))
	}
	return names, nil
}

// retryable returns nil after a short pause if the monitor may go on
// after err, the terminal error otherwise.
func retryable(ctx context.Context, c *client.Conn, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, client.ErrSessionExpired), errors.Is(err, client.ErrClosed):
		return err
	case c.State() == client.StateExpired:
		return client.ErrSessionExpired
	case c.State() == client.StateClosed:
		return client.ErrClosed
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(100 * time.Millisecond):
		return nil
	}
}
