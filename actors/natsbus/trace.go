package natsbus

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
)

// ErrTapClosed means Tap's connection to the bus closed for good (the
// node went away and did not come back while NATS retried).
var ErrTapClosed = errors.New("natsbus: tap connection closed")

// TapConfig says where Tap listens.
type TapConfig struct {
	URL  string
	Cred Credentials // the peer credential on a bus that has one: clients cannot read consensus subjects
	TLS  *tls.Config // the bus's BusTLS, when it has one
	// Subjects are NATS patterns, e.g. buswire.AllSubjects(ens).
	Subjects []string
	// Ready, if set, is called once every subscription is registered
	// with the server the tap is connected to.
	Ready func()
}

// TapMsg is one message Tap saw, raw: decoding is the caller's.
type TapMsg struct {
	Subject string
	Data    []byte
	// Dropped counts the messages lost since the previous TapMsg
	// because the caller fell more than tapQueue messages behind.
	Dropped uint64
}

// tapQueue is how far the caller may fall behind before messages are
// dropped rather than stalling the connection (and with it the server's
// patience with a slow consumer).
const tapQueue = 8192

// Tap subscribes to cfg.Subjects and calls fn with every message, in the
// order the server delivered them (one channel for every subscription
// keeps that order across subjects), on the calling goroutine, until ctx
// ends (returning ctx's error) or fn returns an error.
func Tap(ctx context.Context, cfg TapConfig, fn func(TapMsg) error) error {
	closed := make(chan struct{})
	opts := []nats.Option{nats.Name("paddock-trace"),
		// A slow consumer's drops are counted and reported in TapMsg;
		// nats.go's default handler would print them to stderr.
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}),
		// Once nats.go gives up reconnecting, nothing more will come.
		nats.ClosedHandler(func(*nats.Conn) { close(closed) })}
	if cfg.Cred.User != "" {
		opts = append(opts, nats.UserInfo(cfg.Cred.User, cfg.Cred.Password))
	}
	if cfg.TLS != nil {
		opts = append(opts, nats.Secure(cfg.TLS))
	}
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		return fmt.Errorf("natsbus: tap: connect %s: %w", cfg.URL, err)
	}
	defer nc.Close()
	msgs := make(chan *nats.Msg, tapQueue)
	subs := make([]*nats.Subscription, 0, len(cfg.Subjects))
	for _, subj := range cfg.Subjects {
		sub, err := nc.ChanSubscribe(subj, msgs)
		if err != nil {
			return fmt.Errorf("natsbus: tap: subscribe %s: %w", subj, err)
		}
		subs = append(subs, sub)
	}
	if err := nc.Flush(); err != nil {
		return fmt.Errorf("natsbus: tap: %w", err)
	}
	if cfg.Ready != nil {
		cfg.Ready()
	}
	var reported uint64
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-closed:
			return fmt.Errorf("natsbus: tap: lost %s: %w", cfg.URL, ErrTapClosed)
		case m := <-msgs:
			var dropped uint64
			for _, s := range subs {
				if n, err := s.Dropped(); err == nil {
					dropped += uint64(n)
				}
			}
			if err := fn(TapMsg{Subject: m.Subject, Data: m.Data, Dropped: dropped - reported}); err != nil {
				return err
			}
			reported = dropped
		}
	}
}
