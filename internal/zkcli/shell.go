package zkcli

import (
	"bufio"
	"context"
	"crypto/tls"
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
	"github.com/paddock-zk/paddock/internal/pemtls"
	"github.com/paddock-zk/paddock/zkwire/zkclient"
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

// LineReader reads command lines: io.EOF ends the shell.
type LineReader interface {
	ReadLine(prompt string) (string, error)
}

// plainLines prints the prompt and reads a line of in: pipes and tests.
type plainLines struct {
	sc  *bufio.Scanner
	out io.Writer
}

func (p plainLines) ReadLine(prompt string) (string, error) {
	fmt.Fprint(p.out, prompt)
	if !p.sc.Scan() {
		fmt.Fprintln(p.out)
		if err := p.sc.Err(); err != nil {
			return "", err
		}
		return "", io.EOF
	}
	return p.sc.Text(), nil
}

// Serve reads commands from in until EOF, quit or ctx ends. It returns the
// error of the last command that ran (nil if it succeeded), for the exit
// status.
//
// Watches set by its commands print their events as they come
// (PrintEvents), unless Options.OnWatch says otherwise.
func (s *Shell) Serve(ctx context.Context, in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	return s.ServeLines(ctx, plainLines{sc, s.out()})
}

// ServeLines is Serve reading from r (a line editor on a terminal).
func (s *Shell) ServeLines(ctx context.Context, r LineReader) error {
	defer s.ended.Store(true)
	if s.Options.OnWatch == nil {
		s.Options.OnWatch = s.PrintEvents
	}
	for {
		line, err := r.ReadLine(s.Prompt())
		if err != nil {
			return s.lastErr
		}
		if err := s.ExecuteLine(ctx, line); errors.Is(err, errQuit) {
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
		switch c := line[i]; c {
		case ' ', '\t', '\r', '\n':
			i++
		case '"', '\'':
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

// Dial opens a session over the native bus with the ensemble at servers
// (bus addresses), as client user cred.User (anonymously when it is "").
type Dial func(ctx context.Context, servers []string, sessionTimeout time.Duration, cred Credentials) (Client, io.Closer, error)

// Credentials are a bus client user and password (paddock.clientUsers),
// and the TLS config of a bus under paddock.sslBus (nil for plain NATS).
type Credentials struct {
	User, Password string
	TLS            *tls.Config
}

// DefaultServer is where the shell connects without -server, -bus or
// -config: zkCli's default, a standalone node's clientPort.
const DefaultServer = "localhost:2181"

// Errors of Main's flags.
var (
	ErrServerAndBus  = errors.New("node cli: -server (ZooKeeper client ports) and -bus/-config (the native bus) exclude each other")
	ErrUserNotOnWire = errors.New("node cli: -user, -password, -tls-ca and -tls-cert are for the bus; give them with -bus or -config")
)

// Main is `node cli`: flags, connection, then one command or the
// interactive shell. It returns the exit status. -server speaks the
// ZooKeeper wire protocol to client ports (zkCli's connect string,
// chroot included); -bus or -config use the native client over the bus,
// through dial.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, dial Dial) int {
	fs := flag.NewFlagSet("node cli", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", DefaultServer, "host:port[,host:port...][/chroot] of ZooKeeper client ports (clientPort), as zkCli takes it")
	bus := fs.String("bus", "", "host:port[,host:port...] of nodes' bus (NATS) ports: use the native client instead")
	timeout := fs.Int("timeout", 30000, "session timeout in ms")
	user := fs.String("user", "", "bus client user (one of paddock.clientUsers); default anonymous")
	password := fs.String("password", "", "password of -user")
	cfgPath := fs.String("config", "", "zoo.cfg of the ensemble: use the native client over its bus ports (unless -bus), as its first paddock.clientUsers entry (unless -user), "+
		"over TLS with paddock.sslBus=true (trusting ssl.trustStore.location and, with ssl.clientAuth=need, presenting ssl.keyStore.location, unless -tls-ca, -tls-cert)")
	tlsCA := fs.String("tls-ca", "", "PEM CA certificates to verify the nodes' bus certificates with: TLS to the bus (paddock.sslBus)")
	tlsCert := fs.String("tls-cert", "", "PEM private key and certificate chain to present to a bus that demands client certificates: TLS to the bus")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: node cli [-server host:port[,host:port...][/chroot]] [-timeout ms] [command args...]")
		fmt.Fprintln(stderr, "       node cli {-bus host:busPort[,...] [-user u -password p] | -config zoo.cfg} [-tls-ca ca.pem] [-tls-cert key.pem] [-timeout ms] [command args...]")
		Usage(stderr)
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	onBus := set["bus"] || set["config"]
	switch {
	case onBus && set["server"]:
		fmt.Fprintln(stderr, ErrServerAndBus)
		return 2
	case !onBus && (set["user"] || set["password"] || set["tls-ca"] || set["tls-cert"]):
		fmt.Fprintln(stderr, ErrUserNotOnWire)
		return 2
	}
	useTLS := *tlsCA != "" || *tlsCert != ""
	if *cfgPath != "" {
		sslBus, err := fromConfig(set, *cfgPath, bus, user, password, tlsCert, tlsCA)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		useTLS = useTLS || sslBus
	}
	var busTLS *tls.Config
	if useTLS {
		var err error
		if busTLS, err = pemtls.ClientConfig(pemtls.Files{KeyStore: *tlsCert, TrustStore: *tlsCA}); err != nil {
			fmt.Fprintf(stderr, "node cli: TLS to the bus: %v\n", err)
			return 2
		}
	}
	target := *server
	if onBus {
		target = *bus
	}
	rest := fs.Args()
	interactive := len(rest) == 0
	if interactive {
		fmt.Fprintf(stdout, "Connecting to %s\n", target)
	}
	sessionTimeout := time.Duration(*timeout) * time.Millisecond
	// No session outlives its timeout, so no connection attempt does.
	cctx, cancel := context.WithTimeout(ctx, max(sessionTimeout, time.Second))
	var c Client
	var closer io.Closer
	var err error
	if onBus {
		c, closer, err = dial(cctx, strings.Split(*bus, ","), sessionTimeout, Credentials{User: *user, Password: *password, TLS: busTLS})
	} else {
		var zc *zkclient.Conn
		if zc, err = zkclient.Connect(cctx, *server, zkclient.WithSessionTimeout(sessionTimeout)); err == nil {
			c, closer = Wire(zc), zc
		}
	}
	cancel()
	if err != nil {
		fmt.Fprintf(stderr, "Unable to connect to %s: %v\n", target, err)
		return 1
	}
	defer closer.Close()
	sh := &Shell{Client: c, Server: target, Out: stdout, Err: stderr}
	if interactive {
		var err error
		if ed, ok := newEditor(stdin, stdout); ok {
			err = sh.ServeLines(ctx, ed)
			ed.Close()
		} else {
			err = sh.Serve(ctx, stdin)
		}
		if err != nil {
			return 1
		}
		return 0
	}
	if err := sh.process(ctx, rest); err != nil && !errors.Is(err, errQuit) {
		return 1
	}
	return 0
}

// fromConfig fills -bus, -user/-password and, for a bus under TLS,
// -tls-cert and -tls-ca from a zoo.cfg where the command line did not set
// them. It reports whether the bus is under TLS.
func fromConfig(set map[string]bool, path string, bus, user, password, tlsCert, tlsCA *string) (sslBus bool, err error) {
	cfg, err := config.Load(path)
	if err != nil {
		return false, err
	}
	if cfg.SSLBus {
		keyStore, trustStore := cfg.BusClientTLS()
		if !set["tls-cert"] {
			*tlsCert = keyStore
		}
		if !set["tls-ca"] {
			*tlsCA = trustStore
		}
	}
	if !set["bus"] {
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
		*bus = strings.Join(addrs, ",")
	}
	if !set["user"] && len(cfg.ClientUsers) > 0 {
		*user, *password = cfg.ClientUsers[0].User, cfg.ClientUsers[0].Password
	}
	return cfg.SSLBus, nil
}
