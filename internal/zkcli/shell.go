package zkcli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
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
func (s *Shell) Serve(ctx context.Context, in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for {
		fmt.Fprint(s.Out, s.Prompt())
		if !sc.Scan() {
			fmt.Fprintln(s.Out)
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
				fmt.Fprintf(s.Out, "%d - %s\n", i, s.history[i])
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
	return RunWith(cctx, s.Client, args, s.Out, s.Err, s.Options)
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

// Dial opens a session with the ensemble at servers.
type Dial func(ctx context.Context, servers []string, sessionTimeout time.Duration) (Client, io.Closer, error)

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
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: node cli [-server host:port[,host:port...]] [-timeout ms] [command args...]")
		Usage(stderr)
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rest := fs.Args()
	servers := strings.Split(*server, ",")
	interactive := len(rest) == 0
	if interactive {
		fmt.Fprintf(stdout, "Connecting to %s\n", *server)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	c, closer, err := dial(cctx, servers, time.Duration(*timeout)*time.Millisecond)
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
