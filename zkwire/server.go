package zkwire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Config is what the front end needs from the node.
type Config struct {
	Addr    string // host:port to listen on
	Allowed Allowed
	Status  func() Status // called per request; must be safe from any goroutine
	// Dump lists the sessions the node knows with their ephemerals, for
	// the dump word only (it may take a moment); nil prints none.
	Dump func() []SessionDump
	Log  *slog.Logger
	// Bus is the node's request path for jute client connections; nil
	// refuses them (the connection is closed).
	Bus Bus
	// MaxBuffer is jute.maxbuffer: a larger packet closes the
	// connection. 0 means DefaultMaxBuffer.
	MaxBuffer int
}

// Server is the clientPort listener.
type Server struct {
	cfg  Config
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	conn map[net.Conn]struct{}
	done bool
	// clients are the jute connections past their handshake.
	clients map[*zkConn]struct{}
	stats   serverStats
}

// Connections is the number of client sessions connected here.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// Listen binds the client port. Serve must be called to accept connections.
func Listen(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("zkwire: listen on client port %s: %w", cfg.Addr, err)
	}
	return &Server{cfg: cfg, ln: ln, conn: map[net.Conn]struct{}{}, clients: map[*zkConn]struct{}{}}, nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve accepts connections until Close.
func (s *Server) Serve() error {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			s.mu.Lock()
			done := s.done
			s.mu.Unlock()
			if done || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("zkwire: accept: %w", err)
		}
		s.mu.Lock()
		if s.done {
			s.mu.Unlock()
			c.Close()
			return nil
		}
		s.conn[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conn, c)
				s.mu.Unlock()
				c.Close()
			}()
			s.handle(c)
		}()
	}
}

// Close stops accepting, closes every connection and waits for handlers.
func (s *Server) Close() error {
	s.mu.Lock()
	s.done = true
	for c := range s.conn {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) handle(c net.Conn) {
	// A client that connects and sends nothing must not pin a goroutine.
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var head [4]byte
	if _, err := io.ReadFull(c, head[:]); err != nil {
		return
	}
	if IsFourLetterWord(head[:]) {
		_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		word := string(head[:])
		st := s.cfg.Status()
		s.fill(&st)
		if word == "dump" && s.cfg.Allowed.allows(word) && s.cfg.Dump != nil {
			st.Sessions = s.cfg.Dump()
		}
		AnswerFourLetter(c, word, s.cfg.Allowed, st)
		return
	}
	if s.cfg.Bus == nil {
		// No request path: closing is what ZooKeeper clients treat as
		// connection loss, and they try elsewhere.
		s.cfg.Log.Debug("client protocol connection refused: no request path", "remote", c.RemoteAddr())
		return
	}
	s.serveClient(c, head)
}

// Ask sends a four-letter word to addr and returns the whole reply.
func Ask(ctx context.Context, addr, word string) (string, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("zkwire: %s to %s: %w", word, addr, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := io.WriteString(c, word); err != nil {
		return "", fmt.Errorf("zkwire: %s to %s: %w", word, addr, err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return string(b), fmt.Errorf("zkwire: %s reply from %s: %w", word, addr, err)
	}
	return string(b), nil
}
