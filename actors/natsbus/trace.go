package natsbus

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/paddock-zk/paddock/actors/buswire"
	"github.com/paddock-zk/paddock/actors/msg"
)

// TraceFilter selects what Trace prints.
type TraceFilter struct {
	Ensemble string
	Subject  string     // NATS pattern; default every subject of the ensemble
	Kinds    []msg.Kind // empty: every kind
}

// Trace prints every matching bus message, decoded, until ctx ends. It
// connects with cred, which must be the peer credential on a bus that has
// one (client credentials cannot read consensus subjects), and over TLS
// with tlsCfg when that is set (the bus's BusTLS).
func Trace(ctx context.Context, url string, cred Credentials, tlsCfg *tls.Config, f TraceFilter, w io.Writer) error {
	opts := []nats.Option{nats.Name("paddock-trace")}
	if cred.User != "" {
		opts = append(opts, nats.UserInfo(cred.User, cred.Password))
	}
	if tlsCfg != nil {
		opts = append(opts, nats.Secure(tlsCfg))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return fmt.Errorf("natsbus: trace: connect %s: %w", url, err)
	}
	defer nc.Close()
	subj := f.Subject
	if subj == "" {
		subj = buswire.AllSubjects(f.Ensemble)
	}
	want := map[msg.Kind]bool{}
	for _, k := range f.Kinds {
		want[k] = true
	}
	lines := make(chan string, 4096)
	sub, err := nc.Subscribe(subj, func(m *nats.Msg) {
		env, err := buswire.Decode(m.Data)
		var line string
		switch {
		case err != nil:
			if len(want) > 0 {
				return
			}
			line = fmt.Sprintf("%s %s undecodable (%d bytes): %v", time.Now().Format("15:04:05.000"), m.Subject, len(m.Data), err)
		case len(want) > 0 && !want[env.Kind]:
			return
		default:
			line = FormatTrace(time.Now(), m.Subject, env)
		}
		select {
		case lines <- line:
		default: // a slow terminal must not stall the subscription
		}
	})
	if err != nil {
		return fmt.Errorf("natsbus: trace: subscribe %s: %w", subj, err)
	}
	defer sub.Unsubscribe()
	_ = sub.SetPendingLimits(-1, -1)
	if err := nc.Flush(); err != nil {
		return fmt.Errorf("natsbus: trace: %w", err)
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case l := <-lines:
			if _, err := fmt.Fprintln(w, l); err != nil {
				return err
			}
		}
	}
}

// FormatTrace renders one message as a trace line: time, subject, from,
// to, kind, then epoch, zxid and the body's fields.
func FormatTrace(t time.Time, subject string, env msg.Envelope) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s -> %s %s", t.Format("15:04:05.000"), subject, env.From, env.To, env.Kind)
	if e, ok := env.Body.(msg.Epoched); ok {
		fmt.Fprintf(&b, " epoch=%d", e.EpochOf())
	}
	if z, ok := env.Body.(msg.Zxided); ok {
		fmt.Fprintf(&b, " zxid=%s", msg.FormatZxid(z.ZxidOf()))
	}
	v := reflect.Indirect(reflect.ValueOf(env.Body))
	if v.Kind() == reflect.Struct {
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() || f.Name == "Zxid" || f.Name == "LastZxid" || f.Name == "Epoch" {
				continue
			}
			fmt.Fprintf(&b, " %s=%v", strings.ToLower(f.Name), v.Field(i).Interface())
		}
	}
	return b.String()
}
