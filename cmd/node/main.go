// Command node runs and manages one Paddock node.
//
//	node start  --config zoo.cfg [--background] [--log-format text|json] [--log-level info,replica=debug]
//	            run a node (foreground unless --background)
//	node status --config zoo.cfg                   print "Mode: leader|follower|standalone"
//	node stop   --config zoo.cfg                   stop a running node gracefully
//	node trace  --config zoo.cfg [--kind K,K] [--session 0x..] [--path /p] [--json] [--subject P] [--tls-ca F] [--tls-cert F]
//	            print bus messages, decoded
//	node local  up|down|status [--dir D] [--nodes N] [--base-port P]  a local ensemble on 127.0.0.1
//	node snapshot save FILE --config zoo.cfg | inspect FILE [--json] | restore FILE --config zoo.cfg
//	            back a node's tree up over the bus, check a backup, restore a node's data directory from one
//	node import-zk --config zoo.cfg --zk-datadir DIR [--zk-datalogdir DIR]  make dataDir from ZooKeeper's data
//	node cli    [-server host:clientPort,...[/chroot]] [command args...]  zkCli look-alike over the ZooKeeper
//	            protocol (interactive without a command); -bus host:busPort,... or -config zoo.cfg: native client
//
// It is wiring only: the node itself is package server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/paddock-zk/paddock/actors/buswire"
	"github.com/paddock-zk/paddock/actors/natsbus"
	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/bustrace"
	"github.com/paddock-zk/paddock/internal/logging"
	"github.com/paddock-zk/paddock/server"
)

const usage = `usage: node <command> [flags]

commands:
  start   --config zoo.cfg [--background] [--log-format text|json] [--log-level info[,actor=level...]]
  status  --config zoo.cfg
  stop    --config zoo.cfg [--timeout 30s]
  trace   --config zoo.cfg [--kind Vote,Proposal] [--session 0x...] [--path /prefix] [--json] [--subject 'pdk.paddock.>']
          [--duration 0] [--tls-ca ca.pem] [--tls-cert key.pem]
  local   up|down|status [--dir .cluster] [--nodes 3] [--base-port 21810] [--log-format text] [--log-level info]
  snapshot save FILE --config zoo.cfg [--node N] [--tls-ca ca.pem] [--tls-cert key.pem]
  snapshot inspect FILE [--json]
  snapshot restore FILE --config zoo.cfg
  import-zk --config zoo.cfg --zk-datadir DIR [--zk-datalogdir DIR]
  cli     [-server host:clientPort[,host:clientPort...][/chroot]] [-timeout ms] [command args...]
          [-bus host:busPort[,...] [-user u -password p] | -config zoo.cfg] [-timeout ms] [command args...]
  version
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errExit carries an exit code with a message already printed.
type errExit int

func (e errExit) Error() string { return "exit " + strconv.Itoa(int(e)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "start":
		err = cmdStart(args[1:], stdout, stderr)
	case "status":
		err = cmdStatus(args[1:], stdout, stderr)
	case "stop":
		err = cmdStop(args[1:], stdout, stderr)
	case "trace":
		err = cmdTrace(args[1:], stdout, stderr)
	case "local":
		err = cmdLocal(args[1:], stdout, stderr)
	case "cli":
		err = cmdCli(args[1:], stdout, stderr)
	case "snapshot":
		err = cmdSnapshot(args[1:], stdout, stderr)
	case "import-zk":
		err = cmdImportZK(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, server.Version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "node: unknown command %q\n%s", args[0], usage)
		return 2
	}
	var ee errExit
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return int(ee)
	case errors.Is(err, flag.ErrHelp):
		return 2
	default:
		fmt.Fprintln(stderr, "node:", err)
		return 1
	}
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("node "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func loadConfig(path string, stderr io.Writer) (*config.Config, error) {
	if path == "" {
		return nil, errors.New("--config is required (path to zoo.cfg)")
	}
	c, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	for _, w := range c.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	return c, nil
}

// logFlags are the log settings `node start` takes and `node start
// --background` and `node local up` pass on to the nodes they start.
type logFlags struct{ format, level string }

func (lf *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&lf.format, "log-format", "text", "text (key=value lines) or json (one object per line)")
	fs.StringVar(&lf.level, "log-level", "info", "the node's level (debug, info, warn or error), then any actor=level, comma-separated: info,replica=debug,voter=warn; actors: "+strings.Join(logging.Actors, ", "))
}

// parse checks the settings, so a bad one fails before a node starts,
// in the foreground or not.
func (lf logFlags) parse() (logging.Levels, logging.Format, error) {
	levels, err := logging.ParseLevels(lf.level)
	if err != nil {
		return logging.Levels{}, 0, err
	}
	format, err := logging.ParseFormat(lf.format)
	if err != nil {
		return logging.Levels{}, 0, err
	}
	return levels, format, nil
}

func cmdStart(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("start", stderr)
	cfgPath := fs.String("config", "", "path to zoo.cfg")
	bg := fs.Bool("background", false, "detach, log to <dataDir>/paddock.out, and return once the node answers")
	var lf logFlags
	lf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	levels, format, err := lf.parse()
	if err != nil {
		return err
	}
	if *bg {
		cfg, err := loadConfig(*cfgPath, stderr)
		if err != nil {
			return err
		}
		return startBackground(cfg, *cfgPath, lf, stdout)
	}
	log := slog.New(logging.NewHandler(stderr, format, levels))
	// The config's warnings go to the log, so a JSON log stays JSON.
	cfg, err := loadConfig(*cfgPath, io.Discard)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		log.Warn("config: " + w)
	}

	opts, err := setupFaults(log, stderr)
	if err != nil {
		return err
	}
	n, err := server.Start(cfg, log, opts...)
	if err != nil {
		return err
	}
	if err := os.WriteFile(cfg.PidFile(), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		n.Close()
		return fmt.Errorf("write pid file: %w", err)
	}
	defer func() {
		if err := os.Remove(cfg.PidFile()); err != nil {
			log.Warn("removing pid file", "err", err)
		}
	}()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case s := <-sig:
		log.Info("signal received; shutting down", "signal", s.String())
		n.Close()
		return nil
	case err := <-n.Done():
		// A fatal error (a failed fsync, say): the node has shut itself
		// down; exit non-zero with the cause, for a supervisor to see.
		n.Close()
		return fmt.Errorf("node stopped: %w", err)
	}
}

// startBackground re-runs this program detached and waits until the node
// answers on its client port.
func startBackground(cfg *config.Config, cfgPath string, lf logFlags, stdout io.Writer) error {
	if pid, running := runningPid(cfg); running {
		return fmt.Errorf("a node already runs with this data directory (pid %d, %s)", pid, cfg.DataDir)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	outPath := cfg.DataDir + "/paddock.out"
	out, err := os.OpenFile(outPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(exe, "start", "--config", cfgPath, "--log-level", lf.level, "--log-format", lf.format)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start background node: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("node exited during start (%v); see %s", err, outPath)
		case <-deadline:
			return fmt.Errorf("node did not answer on %s within 30s; see %s", cfg.ClientAddr(), outPath)
		case <-time.After(50 * time.Millisecond):
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, running, _, _ := server.AskMode(ctx, cfg.ClientAddr())
		cancel()
		if running {
			fmt.Fprintf(stdout, "Starting paddock node %d ... STARTED (pid %d, log %s)\n", cfg.MyID, cmd.Process.Pid, outPath)
			return nil
		}
	}
}

func cmdStatus(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("status", stderr)
	cfgPath := fs.String("config", "", "path to zoo.cfg")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Fprintf(stdout, "Client port found: %d. Client address: %s.\n", cfg.ClientPort, server.DialAddr(cfg.ClientAddr()))
	mode, running, ok, err := server.AskMode(ctx, cfg.ClientAddr())
	switch {
	case !running:
		fmt.Fprintf(stdout, "Error contacting service. It is probably not running (nothing answers on %s).\n", server.DialAddr(cfg.ClientAddr()))
		return errExit(1)
	case err != nil:
		return err
	case !ok:
		fmt.Fprintln(stdout, "Node is running but not serving requests: it is looking for a leader (no quorum).")
		return errExit(1)
	}
	fmt.Fprintf(stdout, "Mode: %s\n", mode)
	return nil
}

func cmdStop(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("stop", stderr)
	cfgPath := fs.String("config", "", "path to zoo.cfg")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for a graceful stop")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, stderr)
	if err != nil {
		return err
	}
	pid, running := runningPid(cfg)
	if !running {
		fmt.Fprintf(stdout, "No paddock node to stop (nothing holds the lock of %s): not running.\n", cfg.DataDir)
		return errExit(1)
	}
	if pid == 0 {
		return fmt.Errorf("a node holds %s but its pid file %s is missing or unreadable", cfg.DataDir, cfg.PidFile())
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("signal pid %d: %w", pid, err)
	}
	deadline := time.Now().Add(*timeout)
	// Stopped means the lock is free: a process that exited but is not
	// yet reaped (a zombie) still answers kill(pid, 0).
	for _, running := runningPid(cfg); running; _, running = runningPid(cfg) {
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d still running after %s", pid, *timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Fprintf(stdout, "Stopping paddock node %d ... STOPPED\n", cfg.MyID)
	return nil
}

func cmdTrace(args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return trace(ctx, args, stdout, stderr)
}

// trace runs `node trace` until ctx ends, --duration passes or stdout
// fails: every bus message that passes the filters, decoded, one line (or
// JSON object) each.
func trace(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("trace", stderr)
	cfgPath := fs.String("config", "", "path to zoo.cfg of the node to attach to")
	subject := fs.String("subject", "", "NATS subject pattern (default every subject of the ensemble and every client's replies and watch events)")
	kinds := fs.String("kind", "", "comma-separated message kinds to show, e.g. Vote,NewEpoch")
	session := fs.String("session", "", "show only the messages of this session, e.g. 0x1000002a5b60000")
	path := fs.String("path", "", "show only the messages that name a path starting with this prefix, e.g. /app")
	asJSON := fs.Bool("json", false, "print one JSON object per message instead of a line of text")
	dur := fs.Duration("duration", 0, "stop after this long (0 = until interrupted)")
	tlsCA := fs.String("tls-ca", "", "PEM CA certificates to verify the node's bus certificate with (paddock.sslBus; default ssl.trustStore.location)")
	tlsCert := fs.String("tls-cert", "", "PEM key and certificate chain to present to the bus (paddock.sslBus; default with ssl.clientAuth=need: ssl.keyStore.location)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var f bustrace.Filter
	var err error
	if *kinds != "" {
		if f.Kinds, err = bustrace.ParseKinds(*kinds); err != nil {
			return fmt.Errorf("--kind: %w", err)
		}
	}
	if *session != "" {
		if f.Session, err = bustrace.ParseSession(*session); err != nil {
			return fmt.Errorf("--session: %w", err)
		}
	}
	if *path != "" {
		if f.Path, err = bustrace.ParsePath(*path); err != nil {
			return fmt.Errorf("--path: %w", err)
		}
	}
	cfg, err := loadConfig(*cfgPath, stderr)
	if err != nil {
		return err
	}
	busTLS, err := busTLSConfig(cfg, fs, *tlsCA, *tlsCert)
	if err != nil {
		return err
	}
	if *dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *dur)
		defer cancel()
	}
	cred, err := traceCredentials(cfg)
	if err != nil {
		return err
	}
	tap := natsbus.TapConfig{
		URL:      "nats://" + server.DialAddr(net.JoinHostPort(cfg.BusHost, strconv.Itoa(cfg.BusPort))),
		Cred:     cred,
		TLS:      busTLS,
		Subjects: []string{buswire.AllSubjects(cfg.Ensemble), buswire.AllInboxes()},
	}
	if *subject != "" {
		tap.Subjects = []string{*subject}
	}
	tap.Ready = func() { fmt.Fprintf(stderr, "tracing %s on %s\n", strings.Join(tap.Subjects, " and "), tap.URL) }
	err = natsbus.Tap(ctx, tap, func(tm natsbus.TapMsg) error {
		if tm.Dropped > 0 {
			fmt.Fprintf(stderr, "node trace: %d messages dropped: the output could not keep up\n", tm.Dropped)
		}
		m := bustrace.Decode(time.Now(), tm.Subject, tm.Data)
		if !f.Match(&m) {
			return nil
		}
		var line []byte
		if *asJSON {
			line = m.JSON()
		} else {
			line = []byte(m.Text())
		}
		_, err := stdout.Write(append(line, '\n'))
		return err
	})
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

// traceCredentials are zoo.cfg's peer credential, or else the random one a
// node running a closed bus left in its data directory.
func traceCredentials(cfg *config.Config) (natsbus.Credentials, error) {
	if cfg.PeerUser != "" {
		return natsbus.Credentials{User: cfg.PeerUser, Password: cfg.PeerPassword}, nil
	}
	b, err := os.ReadFile(cfg.BusCredentialFile())
	if errors.Is(err, os.ErrNotExist) {
		return natsbus.Credentials{}, nil // an open standalone bus
	}
	if err != nil {
		return natsbus.Credentials{}, fmt.Errorf("read the node's bus credential: %w", err)
	}
	user, pw, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
	if !ok {
		return natsbus.Credentials{}, fmt.Errorf("%s: not user:password", cfg.BusCredentialFile())
	}
	return natsbus.Credentials{User: user, Password: pw}, nil
}

// runningPid reports whether a node holds cfg's data directory (its
// flock, not the liveness of a pid, decides) and the pid its pid file
// names, 0 if it names none.
func runningPid(cfg *config.Config) (int, bool) {
	inUse, err := server.DataDirInUse(cfg.DataDir)
	if err != nil || !inUse {
		return 0, false
	}
	b, err := os.ReadFile(cfg.PidFile())
	if err != nil {
		return 0, true
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, true
	}
	return pid, true
}

// modeLine is a helper for the local ensemble's status table.
func modeLine(ctx context.Context, addr string) string {
	mode, running, ok, err := server.AskMode(ctx, addr)
	switch {
	case !running:
		return "not running"
	case err != nil:
		return err.Error()
	case !ok:
		return "looking (not serving)"
	}
	return string(mode)
}
