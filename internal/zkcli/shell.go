package zkcli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/config"
)

// Shell is the interactive zkCli: a prompt, numbered history, redo.
type Shell struct {
	Client  Client
	Server  string // shown in the prompt
	Out     io.Writer
	Err     io.Writer
	Options Options
	// OpTimeout bounds each command (default 30s).
	OpTimeout time.Duration

	history map[int]string
	count   int
	lastErr error

	outMu sync.Mutex  // one command's output or one event at a time
	ended atomic.Bool // Serve returned: events are no longer printed
}

// lockedWriter serializes writes from commands and watch events.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (s *Shell) out() io.Writer { return lockedWriter{&s.outMu, s.Out} }

// PrintEvents prints each event of ch as ZooKeeperMain's MyWatcher does
// (printMessage puts a newline before each line):
//
//	(blank line)
//	WATCHER::
//	(blank line)
//	WatchedEvent state:SyncConnected type:NodeChildrenChanged path:/serverList
//
// in the background, between commands, until ch closes or the shell ends.
func (s *Shell) PrintEvents(ch <-chan client.Event) {
	go func() {
		for ev := range ch {
			if s.ended.Load() {
				continue
			}
			io.WriteString(s.out(), "\nWATCHER::\n\n"+ev.String()+"\n")
		}
	}()
}

// errQuit ends the shell.
var errQuit = errors.New("quit")

// Prompt is ZooKeeperMain's prompt for command number n.
func (s *Shell) Prompt() string {
	return fmt.Sprintf("[zk: %s(CONNECTED) %d] ", s.Server, s.count)
}

// Serve reads commands from in until EOF, quit or ctx ends. It returns the
// error of the last command that ran (nil if it succeeded), for the exit
// status.
//
// Watches set by its commands print their events as they come
// (PrintEvents), unless Options.OnWatch says otherwise.
func (s *Shell) Serve(ctx context.Context, in io.Reader) error {
	defer s.ended.Store(true)
	if s.Options.OnWatch == nil {
		s.Options.OnWatch = s.PrintEvents
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for {
		fmt.Fprint(s.out(), s.Prompt())
		if !sc.Scan() {
			fmt.Fprintln(s.out())
			return s.lastErr
		}
		if err := s.ExecuteLine(ctx, sc.Text()); errors.Is(err, errQuit) {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// ExecuteLine runs one line as ZooKeeperMain.executeLine does: blank lines
// are ignored, every other line is numbered and kept in the history.
func (s *Shell) ExecuteLine(ctx context.Context, line string) error {
	if strings.TrimSpace(line) == "" {
		return nil
	}
	if s.history == nil {
		s.history = map[int]string{}
	}
	s.history[s.count] = line
	err := s.process(ctx, Split(line))
	s.count++
	if !errors.Is(err, errQuit) {
		s.lastErr = err
	}
	return err
}

func (s *Shell) process(ctx context.Context, args []string) error {
	switch args[0] {
	case "quit", "exit":
		return errQuit
	case "help":
		Usage(s.Err)
		return nil
	case "history":
		for i := s.count - 10; i <= s.count; i++ {
			if i >= 0 {
				fmt.Fprintf(s.out(), "%d - %s\n", i, s.history[i])
			}
		}
		return nil
	case "redo":
		if len(args) < 2 {
			break
		}
		n, err := strconv.ParseInt(args[1], 0, 32)
		if err != nil || int(n) >= s.count || n < 0 {
			err := &cliError{"Command index out of range"}
			fmt.Fprintln(s.Err, err.msg)
			return err
		}
		line := s.history[int(n)]
		again := Split(line)
		if again[0] == "redo" {
			err := &cliError{"No redoing redos"}
			fmt.Fprintln(s.Err, err.msg)
			return err
		}
		s.history[s.count] = line
		return s.process(ctx, again)
	}
	timeout := s.OpTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return RunWith(cctx, s.Client, args, s.out(), s.Err, s.Options)
}

// Split cuts a command line into words as ZooKeeperMain does: on
// whitespace, with "double" or 'single' quoted words kept whole (quotes
// removed).
func Split(line string) []string {
	var words []string
	for i := 0; i < len(line); {
		switch c := line[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '"' || c == '\'':
			end := strings.IndexByte(line[i+1:], c)
			if end >= 0 {
				words = append(words, line[i+1:i+1+end])
				i += end + 2
				continue
			}
			fallthrough
		default:
			j := i + 1
			for j < len(line) && !strings.ContainsRune(" \t\r\n", rune(line[j])) {
				j++
			}
			words = append(words, line[i:j])
			i = j
		}
	}
	return words
}

// Dial opens a session with the ensemble at servers, as client user
// cred.User (anonymously when it is "").
type Dial func(ctx context.Context, servers []string, sessionTimeout time.Duration, cred Credentials) (Client, io.Closer, error)

// Credentials are a bus client user and password (paddock.clientUsers).
type Credentials struct{ User, Password string }

// DefaultServer is where the shell connects without -server: a standalone
// node's bus port (clientPort 2181 + 10000).
const DefaultServer = "localhost:12181"

// Main is `node cli`: flags, connection, then one command or the
// interactive shell. It returns the exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, dial Dial) int {
	fs := flag.NewFlagSet("node cli", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", DefaultServer, "host:port[,host:port...] of nodes' bus (NATS) ports")
	timeout := fs.Int("timeout", 30000, "session timeout in ms")
	user := fs.String("user", "", "bus client user (one of paddock.clientUsers); default anonymous")
	password := fs.String("password", "", "password of -user")
	cfgPath := fs.String("config", "", "zoo.cfg of the ensemble: its bus ports are the default -server, its first paddock.clientUsers entry the default -user")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: node cli [-server host:port[,host:port...]] [-user u -password p] [-config zoo.cfg] [-timeout ms] [command args...]")
		Usage(stderr)
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cfgPath != "" {
		if err := fromConfig(fs, *cfgPath, server, user, password); err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
	}
	rest := fs.Args()
	servers := strings.Split(*server, ",")
	interactive := len(rest) == 0
	if interactive {
		fmt.Fprintf(stdout, "Connecting to %s\n", *server)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	c, closer, err := dial(cctx, servers, time.Duration(*timeout)*time.Millisecond, Credentials{User: *user, Password: *password})
	cancel()
	if err != nil {
		fmt.Fprintf(stderr, "Unable to connect to %s: %v\n", *server, err)
		return 1
	}
	defer closer.Close()
	sh := &Shell{Client: c, Server: *server, Out: stdout, Err: stderr}
	if interactive {
		if err := sh.Serve(ctx, stdin); err != nil {
			return 1
		}
		return 0
	}
	if err := sh.process(ctx, rest); err != nil && !errors.Is(err, errQuit) {
		return 1
	}
	return 0
}

// fromConfig fills -server and -user/-password from a zoo.cfg where the
// command line did not set them.
func fromConfig(fs *flag.FlagSet, path string, server, user, password *string) error {
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["server"] {
		var addrs []string
		local := func(h string) string {
			if h == "" || h == "0.0.0.0" || h == "::" {
				return "127.0.0.1"
			}
			return h
		}
		if cfg.Standalone() {
			addrs = append(addrs, net.JoinHostPort(local(cfg.BusHost), strconv.Itoa(cfg.BusPort)))
		} else {
			for _, s := range cfg.Servers {
				addrs = append(addrs, net.JoinHostPort(local(s.Host), strconv.Itoa(s.BusPort)))
			}
		}
		*server = strings.Join(addrs, ",")
	}
	if !set["user"] && len(cfg.ClientUsers) > 0 {
		*user, *password = cfg.ClientUsers[0].User, cfg.ClientUsers[0].Password
	}
	return nil
}
