package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/paddock-zk/paddock/zkwire"
)

// Node is what the commands read from the node and do to it. Every method
// must be safe to call from any goroutine and return promptly.
type Node interface {
	// Status is what the four-letter word word would print about the
	// node, without an asking connection among its clients
	// (zkwire.Server.StatusFor).
	Status(word string) zkwire.Status
	// ResetServerStats and ResetConnectionStats are srst and crst.
	ResetServerStats()
	ResetConnectionStats()
	// Peer is the node's place in the ensemble.
	Peer() Peer
	// Ready reports whether the node serves clients with a quorum behind
	// it, and if not, why not.
	Ready() (ok bool, reason string)
	// LastSnapshot is the newest snapshot's zxid and when its file was
	// written.
	LastSnapshot() (zxid uint64, written time.Time, err error)
	// InitialConfig is the configuration file as the node read it at
	// start, its secrets hidden.
	InitialConfig() (string, error)
}

// Peer is the node's place in the ensemble, for leader and zabstate.
type Peer struct {
	Standalone bool
	MyID       uint64
	// LeaderID is the leader the node follows or is, 0 while it knows
	// none; LeaderHost is that server's host.
	LeaderID   uint64
	LeaderHost string
	Leading    bool
	// ZabState is ZooKeeper's name of the Zab phase the node is in:
	// election, discovery, synchronization or broadcast.
	ZabState string
	// Voting: the node is a voting member, not an observer.
	Voting bool
	// The node's route (quorum), bus (election) and client addresses.
	QuorumAddr, ElectionAddr, ClientAddr string
}

// Config is what the AdminServer needs.
type Config struct {
	Addr       string // host:port to listen on; port 0 picks a free one
	CommandURL string // where the commands live, e.g. /commands
	// IdleTimeout closes a kept-alive connection idle that long
	// (admin.idleTimeout).
	IdleTimeout time.Duration
	Node        Node
	Log         *slog.Logger
}

// Timeouts that keep a slow or silent client from holding a connection
// and its goroutine: headers must come within readHeaderTimeout, an
// answer must be written within writeTimeout (the slowest command, dump,
// waits at most a second or two for the node).
const (
	readHeaderTimeout = 10 * time.Second
	writeTimeout      = 30 * time.Second
	maxHeaderBytes    = 64 << 10
)

// Server is a running AdminServer.
type Server struct {
	cfg  Config
	ln   net.Listener
	http *http.Server
}

// Listen binds cfg.Addr; Serve answers requests.
func Listen(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Node == nil {
		return nil, errors.New("admin: no node to report on")
	}
	cfg.CommandURL = strings.TrimRight(cfg.CommandURL, "/")
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("admin: listen on %s: %w", cfg.Addr, err)
	}
	s := &Server{cfg: cfg, ln: ln}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: readHeaderTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// net/http's own complaints (bad requests, TLS attempts) are
		// the client's trouble, not the node's.
		ErrorLog: slog.NewLogLogger(cfg.Log.Handler(), slog.LevelDebug),
	}
	return s, nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve answers requests until Close; it returns nil then.
func (s *Server) Serve() error {
	if err := s.http.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("admin: serve: %w", err)
	}
	return nil
}

// closeWait bounds how long Close lets requests in flight finish.
const closeWait = 2 * time.Second

// Close stops listening, lets requests in flight finish for a moment,
// then closes every connection.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeWait)
	defer cancel()
	if err := s.http.Shutdown(ctx); err != nil {
		_ = s.http.Close()
		return fmt.Errorf("admin: close: %w", err)
	}
	return nil
}

// ServeHTTP routes a request: the health endpoints, the command list and
// the commands.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p, base := r.URL.Path, s.cfg.CommandURL
	switch {
	case p == "/livez":
		writeText(w, http.StatusOK, "ok\n")
	case p == "/readyz":
		if ok, why := s.cfg.Node.Ready(); !ok {
			writeText(w, http.StatusServiceUnavailable, "not ready: "+why+"\n")
			return
		}
		writeText(w, http.StatusOK, "ok\n")
	case p == base || p == base+"/":
		s.list(w)
	case strings.HasPrefix(p, base+"/"):
		s.command(w, strings.TrimPrefix(p, base+"/"))
	default:
		http.NotFound(w, r)
	}
}

func writeText(w http.ResponseWriter, code int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(text))
}

// list is JettyAdminServer's page of links to every command by primary
// name, sorted.
func (s *Server) list(w http.ResponseWriter) {
	var b strings.Builder
	for _, name := range primaryNames() {
		url := html.EscapeString(s.cfg.CommandURL + "/" + name)
		fmt.Fprintf(&b, "<a href=\"%s\">%s</a>\n<br/>\n", url, name)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

// Errors in the "error" field, as ZooKeeper words them.
const (
	errNotServing = "This ZooKeeper instance is not currently serving requests"
	errUnknown    = "Unknown command: "
)

// command runs the command called name (a primary name or an alias) and
// writes its JSON.
func (s *Server) command(w http.ResponseWriter, name string) {
	cmd, ok := lookup(name)
	if !ok {
		// ZooKeeper names the command as asked in its error answers.
		r := newResponse(name)
		r.put("error", errUnknown+name)
		writeJSON(w, http.StatusNotFound, r, s.cfg.Log)
		return
	}
	if cmd.serving && !s.serving() {
		r := newResponse(name)
		r.put("error", errNotServing)
		writeJSON(w, http.StatusOK, r, s.cfg.Log)
		return
	}
	r := newResponse(cmd.names[0])
	cmd.run(s.cfg.Node, r)
	writeJSON(w, http.StatusOK, r, s.cfg.Log)
}

// serving reports whether the node serves clients, which most commands
// need, as ZooKeeper's need a running ZooKeeperServer.
func (s *Server) serving() bool {
	ok, _ := s.cfg.Node.Ready()
	return ok
}

// writeJSON writes v indented, as ZooKeeper's JsonOutputter does.
func writeJSON(w http.ResponseWriter, code int, v any, log *slog.Logger) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		// A value JSON cannot hold (a NaN, say) is the node's bug, not
		// the client's: say so as ZooKeeper does, and log it.
		log.Warn("AdminServer: writing a command's answer as JSON", "err", err)
		code, b = http.StatusInternalServerError, []byte(`{"error": "Exception writing command response to JSON"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}
