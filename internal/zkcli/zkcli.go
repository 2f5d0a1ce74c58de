package zkcli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire/zkclient"
	"github.com/paddock-zk/paddock/znode"
)

// Client is what the commands need of a connection: Wire makes one of a
// ZooKeeper wire client, Bus of a native one.
type Client interface {
	Create(ctx context.Context, path string, data []byte, mode zk.CreateMode, acl []zk.ACL) (string, error)
	CreateTTL(ctx context.Context, path string, data []byte, mode zk.CreateMode, acl []zk.ACL, ttl time.Duration) (string, error)
	Get(ctx context.Context, path string) ([]byte, zk.Stat, error)
	Set(ctx context.Context, path string, data []byte, version int32) (zk.Stat, error)
	Exists(ctx context.Context, path string) (zk.Stat, bool, error)
	Delete(ctx context.Context, path string, version int32) error
	Children(ctx context.Context, path string) ([]string, zk.Stat, error)
	GetACL(ctx context.Context, path string) ([]zk.ACL, zk.Stat, error)
	SetACL(ctx context.Context, path string, acl []zk.ACL, version int32) (zk.Stat, error)
	Sync(ctx context.Context, path string) error
	AllChildrenNumber(ctx context.Context, path string) (int, error)

	// Watches: a one-shot channel gets one event and closes; a
	// persistent Watch's Events get every event until it is removed.
	GetW(ctx context.Context, path string) ([]byte, zk.Stat, <-chan client.Event, error)
	ExistsW(ctx context.Context, path string) (zk.Stat, bool, <-chan client.Event, error)
	ChildrenW(ctx context.Context, path string) ([]string, zk.Stat, <-chan client.Event, error)
	AddWatch(ctx context.Context, path string, recursive bool) (<-chan client.Event, error)
	RemoveWatches(ctx context.Context, path string, t client.WatcherType) error

	// GetConfig reads /zookeeper/config (never under a chroot), with a
	// data watch if watch.
	GetConfig(ctx context.Context, watch bool) ([]byte, zk.Stat, <-chan client.Event, error)
	// AddAuth adds an identity to the session (scheme digest: auth is
	// "user:password").
	AddAuth(ctx context.Context, scheme string, auth []byte) error
	// WhoAmI lists the session's identities.
	WhoAmI(ctx context.Context) ([]zkclient.ClientInfo, error)
	// Ephemerals lists the session's ephemeral nodes under prefix.
	Ephemerals(ctx context.Context, prefix string) ([]string, error)
}

// OneShotWatchNote is printed (on the error stream) when a command sets a
// watch without an Options.OnWatch to print its events: zkCli's one-shot
// mode exits right after the command too, so the event is never shown.
const OneShotWatchNote = "Note: the watch is set, but this one-shot command ends before it can fire (as zkCli does); use the interactive shell to see WATCHER:: events"

// ErrCommandNotFound is returned for an unknown command.
var ErrCommandNotFound = errors.New("zkcli: command not found")

// cliError is an error whose text is already zkCli's wording.
type cliError struct{ msg string }

func (e *cliError) Error() string { return e.msg }

func cliErrorf(format string, a ...any) error { return &cliError{fmt.Sprintf(format, a...)} }

// command is one zkCli command: its options (a letter, with ":" when it
// takes a value), its usage after the name, the least number of
// positional arguments, and what it does.
type command struct {
	opts    string
	usage   string
	minArgs int
	run     func(e *env) error
	group   string // options of which at most one may be given (commons-cli's OptionGroup)
	needOne string // the group's text when one of it is required
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"create":               {"sect:", "[-s] [-e] [-c] [-t ttl] path [data] [acl]", 1, cmdCreate, "", ""},
		"delete":               {"v:", "[-v version] path", 1, cmdDelete, "", ""},
		"deleteall":            {"b:", "path [-b batch size]", 1, cmdDeleteAll, "", ""},
		"addWatch":             {"m:", "[-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE", 1, cmdAddWatch, "", ""},
		"get":                  {"sw", "[-s] [-w] path", 1, cmdGet, "", ""},
		"getAcl":               {"s", "[-s] path", 1, cmdGetACL, "", ""},
		"getAllChildrenNumber": {"", "path", 1, cmdAllChildren, "", ""},
		"ls":                   {"swR", "[-s] [-w] [-R] path", 1, cmdLs, "", ""},
		"removewatches":        {"cdal", "path [-c|-d|-a] [-l]", 1, cmdRemoveWatches, "", ""},
		"set":                  {"sv:", "[-s] [-v version] path data", 2, cmdSet, "", ""},
		"setAcl":               {"sv:R", "[-s] [-v version] [-R] path acl", 2, cmdSetACL, "", ""},
		"stat":                 {"w", "[-w] path", 1, cmdStat, "", ""},
		"sync":                 {"", "path", 1, cmdSync, "", ""},
		"addauth":              {"", "scheme auth", 1, cmdAddAuth, "", ""},
		"whoami":               {"", "", 0, cmdWhoAmI, "", ""},
		"config":               {"cws", "[-c] [-w] [-s]", 0, cmdConfig, "", ""},
		"getEphemerals":        {"", "path", 0, cmdEphemerals, "", ""},
		"setquota": {"n:b:N:B:", "-n|-b|-N|-B val path", 1, cmdSetQuota, "nbNB",
			"[-n num soft quota, -b bytes soft quota, -N num hard quota, -B bytes hard quota]"},
		"listquota": {"", "path", 1, cmdListQuota, "", ""},
		"delquota":  {"nbNB", "[-n|-b|-N|-B] path", 1, cmdDelQuota, "nbNB", ""},
	}
}

// shellCommands are handled by the interactive shell, not by Run.
var shellCommands = map[string]string{
	"history": "",
	"redo":    "cmdno",
	"quit":    "",
	"help":    "",
}

// Usage is ZooKeeperMain's usage text: one line per command.
func Usage(w io.Writer) {
	fmt.Fprintln(w, "ZooKeeper -server host:port cmd args")
	names := make([]string, 0, len(commands)+len(shellCommands))
	for n := range commands {
		names = append(names, n)
	}
	for n := range shellCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if c, ok := commands[n]; ok {
			fmt.Fprintf(w, "\t%s %s\n", n, c.usage)
		} else {
			fmt.Fprintf(w, "\t%s %s\n", n, shellCommands[n])
		}
	}
}

// env is one command's invocation.
type env struct {
	ctx   context.Context
	c     Client
	args  []string // positional, without the command name
	flags map[byte]string
	out   io.Writer
	err   io.Writer
	loc   *time.Location
	watch func(<-chan client.Event)
	noted bool
}

// watching hands a watch's events to Options.OnWatch, or says once that
// nobody will see them.
func (e *env) watching(ch <-chan client.Event) {
	if e.watch != nil {
		e.watch(ch)
		return
	}
	if !e.noted {
		e.noted = true
		fmt.Fprintln(e.err, OneShotWatchNote)
	}
}

func (e *env) has(f byte) bool { _, ok := e.flags[f]; return ok }

// Options tune Run.
type Options struct {
	// Location is the time zone of ctime and mtime (default time.Local).
	Location *time.Location
	// OnWatch receives the event channel of every watch a command sets
	// (-w, addWatch) and prints its events as they come (the interactive
	// shell's PrintEvents). Nil in one-shot mode: the watch is set and a
	// note says its events will not be shown.
	OnWatch func(<-chan client.Event)
}

// Run executes one zkCli command line (args[0] is the command) against c,
// printing its output to out and its diagnostics to errOut as zkCli does.
// A failed command's error is printed to errOut in zkCli's words and
// returned, so the caller only turns it into an exit status.
func Run(ctx context.Context, c Client, args []string, out, errOut io.Writer) error {
	return RunWith(ctx, c, args, out, errOut, Options{})
}

// RunWith is Run with options.
func RunWith(ctx context.Context, c Client, args []string, out, errOut io.Writer, o Options) error {
	err := run(ctx, c, args, out, errOut, o)
	if err != nil {
		fmt.Fprintln(errOut, Message(err))
	}
	return err
}

func run(ctx context.Context, c Client, args []string, out, errOut io.Writer, o Options) error {
	if len(args) == 0 {
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok {
		Usage(errOut)
		return fmt.Errorf("%w: %s", ErrCommandNotFound, args[0])
	}
	flags, pos, order, err := parseOpts(cmd.opts, args[1:])
	if err == nil {
		err = checkGroup(cmd, order)
	}
	if err != nil {
		return err
	}
	if len(pos) < cmd.minArgs {
		return &cliError{args[0] + " " + cmd.usage}
	}
	loc := o.Location
	if loc == nil {
		loc = time.Local
	}
	e := &env{ctx: ctx, c: c, args: pos, flags: flags, out: out, err: errOut, loc: loc, watch: o.OnWatch}
	return cmd.run(e)
}

// Message is how zkCli words err: CliWrapperException's text for
// ZooKeeper errors, the text itself otherwise.
func Message(err error) string {
	var ce *cliError
	if errors.As(err, &ce) {
		return ce.msg
	}
	if errors.Is(err, ErrCommandNotFound) {
		_, name, _ := strings.Cut(err.Error(), ": command not found: ")
		return "Command not found: Command not found " + name
	}
	var ze *zk.Error
	if errors.As(err, &ze) {
		return ze.CLIMessage()
	}
	return err.Error()
}

// parseOpts is commons-cli's PosixParser as zkCli uses it: options may
// appear anywhere, "-se" is "-s -e", a value follows its option (attached
// or as the next word), "--" ends the options.
func parseOpts(spec string, args []string) (flags map[byte]string, pos []string, order []byte, err error) {
	flags = map[byte]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		for j := 1; j < len(a); j++ {
			k := strings.IndexByte(spec, a[j])
			if k < 0 || a[j] == ':' {
				return nil, nil, nil, cliErrorf("Unrecognized option: %s", a)
			}
			order = append(order, a[j])
			if k+1 < len(spec) && spec[k+1] == ':' {
				switch {
				case j+1 < len(a):
					flags[a[j]] = a[j+1:]
				case i+1 < len(args):
					i++
					flags[a[j]] = args[i]
				default:
					return nil, nil, nil, cliErrorf("Missing argument for option: %c", a[j])
				}
				break
			}
			flags[a[j]] = ""
		}
	}
	return flags, pos, order, nil
}

// checkGroup applies a command's OptionGroup as commons-cli does, with
// its exception texts, which zkCli prints whole.
func checkGroup(cmd command, order []byte) error {
	var chosen byte
	for _, f := range order {
		if strings.IndexByte(cmd.group, f) < 0 {
			continue
		}
		if chosen != 0 && chosen != f {
			return cliErrorf("org.apache.commons.cli.AlreadySelectedException: The option '%c' was specified but an option from this group has already been selected: '%c'", f, chosen)
		}
		chosen = f
	}
	if chosen == 0 && cmd.needOne != "" {
		return cliErrorf("org.apache.commons.cli.MissingOptionException: Missing required option: %s", cmd.needOne)
	}
	return nil
}

// checkPath is the client library's PathUtils.validatePath with Java's
// IllegalArgumentException texts, which zkCli prints.
func checkPath(path string, sequential bool) error {
	if err := znode.ValidatePath(path, sequential); err == nil {
		return nil
	}
	switch {
	case path == "":
		return &cliError{"Path length must be > 0"}
	case path[0] != '/':
		return &cliError{"Path must start with / character"}
	case len(path) > 1 && path[len(path)-1] == '/' && !sequential:
		return &cliError{"Path must not end with / character"}
	}
	err := znode.ValidatePath(path, sequential)
	_, reason, _ := strings.Cut(err.Error(), " caused by ")
	reason, _, _ = strings.Cut(reason, ": ")
	p := path
	if sequential {
		p += "1"
	}
	return cliErrorf("Invalid path string \"%s\" caused by %s", p, reason)
}

func parseVersion(e *env) (int32, error) {
	v, ok := e.flags['v']
	if !ok {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 0, 32)
	if err != nil {
		return 0, cliErrorf("For input string: \"%s\"", v)
	}
	return int32(n), nil
}

func cmdCreate(e *env) error {
	hasE, hasS, hasC, hasT := e.has('e'), e.has('s'), e.has('c'), e.has('t')
	if hasC && (hasE || hasS) {
		return &cliError{"-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential."}
	}
	var ttl int64
	if hasT {
		var err error
		if ttl, err = strconv.ParseInt(e.flags['t'], 10, 64); err != nil {
			return &cliError{"-t argument must be a long value"}
		}
	}
	if hasT && hasE {
		return &cliError{"TTLs cannot be used with Ephemeral znodes"}
	}
	if hasT && hasC {
		return &cliError{"TTLs cannot be used with Container znodes"}
	}
	var mode zk.CreateMode
	switch {
	case hasE && hasS:
		mode = zk.EphemeralSequential
	case hasE:
		mode = zk.Ephemeral
	case hasS && hasT:
		mode = zk.PersistentSequentialWithTTL
	case hasS:
		mode = zk.PersistentSequential
	case hasC:
		mode = zk.Container
	case hasT:
		mode = zk.PersistentWithTTL
	default:
		mode = zk.Persistent
	}
	if hasT && (ttl <= 0 || ttl > znode.MaxTTL) {
		return cliErrorf("ttl must be positive and cannot be larger than: %d", znode.MaxTTL)
	}
	path := e.args[0]
	if err := checkPath(path, mode.IsSequential()); err != nil {
		return err
	}
	// Without a data argument the node's data is null, as CreateCommand
	// makes it; `create /p ""` makes it empty.
	var data []byte
	if len(e.args) > 1 {
		data = []byte(e.args[1])
	}
	acl := zk.OpenACLUnsafe
	if len(e.args) > 2 {
		acl = ParseACL(e.args[2], e.err)
	}
	var p string
	var err error
	if hasT {
		p, err = e.c.CreateTTL(e.ctx, path, data, mode, acl, time.Duration(ttl)*time.Millisecond)
	} else {
		p, err = e.c.Create(e.ctx, path, data, mode, acl)
	}
	if err != nil {
		if zk.CodeOf(err) == zk.InvalidACL {
			var ze *zk.Error
			errors.As(err, &ze)
			fmt.Fprintln(e.err, ze.Error())
		}
		return err
	}
	fmt.Fprintln(e.err, "Created "+p)
	return nil
}

func cmdGet(e *env) error {
	path := e.args[0]
	if err := checkPath(path, false); err != nil {
		return err
	}
	var data []byte
	var st zk.Stat
	var err error
	if e.has('w') {
		var ch <-chan client.Event
		if data, st, ch, err = e.c.GetW(e.ctx, path); err == nil {
			e.watching(ch)
		}
	} else {
		data, st, err = e.c.Get(e.ctx, path)
	}
	if err != nil {
		return err
	}
	// GetCommand prints "null" for null data only: zero-length data is
	// an empty line.
	if data == nil {
		fmt.Fprintln(e.out, "null")
	} else {
		fmt.Fprintln(e.out, string(data))
	}
	if e.has('s') {
		PrintStat(e.out, st, e.loc)
	}
	return nil
}

func cmdSet(e *env) error {
	path := e.args[0]
	if err := checkPath(path, false); err != nil {
		return err
	}
	v, err := parseVersion(e)
	if err != nil {
		return err
	}
	st, err := e.c.Set(e.ctx, path, []byte(e.args[1]), v)
	if err != nil {
		return err
	}
	if e.has('s') {
		PrintStat(e.out, st, e.loc)
	}
	return nil
}

func cmdStat(e *env) error {
	path := e.args[0]
	if err := checkPath(path, false); err != nil {
		return err
	}
	var st zk.Stat
	var ok bool
	var err error
	if e.has('w') {
		// An exists watch, set whether or not the node exists.
		var ch <-chan client.Event
		if st, ok, ch, err = e.c.ExistsW(e.ctx, path); err == nil {
			e.watching(ch)
		}
	} else {
		st, ok, err = e.c.Exists(e.ctx, path)
	}
	if err != nil {
		return err
	}
	if !ok {
		return &zk.Error{Code: zk.NoNode, Path: path}
	}
	PrintStat(e.out, st, e.loc)
	return nil
}

func cmdLs(e *env) error {
	path := e.args[0]
	if err := checkPath(path, false); err != nil {
		return err
	}
	if e.has('R') {
		return visitDFS(e, path, func(p string) error {
			fmt.Fprintln(e.out, p)
			return nil
		})
	}
	kids, st, err := e.children(path)
	if err != nil {
		return err
	}
	kids = append([]string(nil), kids...)
	sort.Strings(kids)
	fmt.Fprintf(e.out, "[%s]\n", strings.Join(kids, ", "))
	if e.has('s') {
		PrintStat(e.out, st, e.loc)
	}
	return nil
}

// visitDFS is ZKUtil.visitSubTreeDFS: path must exist; fn sees path,
// then each node's children (sorted) before it descends into the first
// of them, as ZooKeeper's helper does. A node that vanishes during the
// walk is skipped.
func visitDFS(e *env, path string, fn func(string) error) error {
	if _, _, err := e.c.Get(e.ctx, path); err != nil {
		return err
	}
	if err := fn(path); err != nil {
		return err
	}
	var walk func(p string) error
	walk = func(p string) error {
		kids, _, err := e.children(p)
		if zk.CodeOf(err) == zk.NoNode {
			return nil
		}
		if err != nil {
			return err
		}
		kids = append([]string(nil), kids...)
		sort.Strings(kids)
		for _, k := range kids {
			if err := fn(childPath(p, k)); err != nil {
				return err
			}
		}
		for _, k := range kids {
			if err := walk(childPath(p, k)); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(path)
}

// children lists path's children, with a child watch under -w (ls -w,
// and ls -R -w on every node visited, as ZKUtil.visitSubTreeDFS does).
func (e *env) children(path string) ([]string, zk.Stat, error) {
	if !e.has('w') {
		return e.c.Children(e.ctx, path)
	}
	kids, st, ch, err := e.c.ChildrenW(e.ctx, path)
	if err == nil {
		e.watching(ch)
	}
	return kids, st, err
}

// cmdAddWatch is AddWatchCommand: a persistent watch, recursive unless
// -m PERSISTENT. It prints nothing; the events come as WATCHER:: blocks.
func cmdAddWatch(e *env) error {
	path := e.args[0]
	recursive := true
	if m, ok := e.flags['m']; ok {
		switch strings.ToUpper(m) {
		case "PERSISTENT":
			recursive = false
		case "PERSISTENT_RECURSIVE":
		default:
			return &cliError{"addWatch " + commands["addWatch"].usage}
		}
	}
	if len(e.args) != 1 {
		return &cliError{"addWatch " + commands["addWatch"].usage}
	}
	if err := checkPath(path, false); err != nil {
		return err
	}
	ch, err := e.c.AddWatch(e.ctx, path, recursive)
	if err != nil {
		return err
	}
	e.watching(ch)
	return nil
}

// cmdRemoveWatches is RemoveWatchesCommand: every watch of the session on
// exactly path, of the type -c (child), -d (data) or -a (any, the
// default). -l (remove locally without a server) is accepted and has no
// effect: the native client always drops its local watches and asks the
// node. The removed watches' listeners get a ...WatchRemoved event.
func cmdRemoveWatches(e *env) error {
	path := e.args[0]
	if err := checkPath(path, false); err != nil {
		return err
	}
	t := client.WatchAny
	switch {
	case e.has('c'):
		t = client.WatchChildren
	case e.has('d'):
		t = client.WatchData
	}
	err := e.c.RemoveWatches(e.ctx, path, t)
	if zk.CodeOf(err) == zk.NoWatcher {
		// zkCli prints NoWatcherException's message as it is.
		var ze *zk.Error
		errors.As(err, &ze)
		return &cliError{ze.Error()}
	}
	return err
}

func childPath(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

func cmdDelete(e *env) error {
	path := e.args[0]
	if err := checkPath(path, false); err != nil {
		return err
	}
	v, err := parseVersion(e)
	if err != nil {
		return err
	}
	return e.c.Delete(e.ctx, path, v)
}

// cmdDeleteAll is ZKUtil.deleteRecursive: list the subtree breadth first,
// delete it deepest first. The root itself is never deleted.
func cmdDeleteAll(e *env) error {
	path := e.args[0]
	if err := checkPath(path, false); err != nil {
		return err
	}
	if b, ok := e.flags['b']; ok {
		if n, err := strconv.Atoi(b); err != nil || n <= 0 {
			return &cliError{"batch size must be greater than 0"}
		}
	}
	tree := []string{path}
	for i := 0; i < len(tree); i++ {
		kids, _, err := e.c.Children(e.ctx, tree[i])
		if err != nil {
			if i > 0 && zk.CodeOf(err) == zk.NoNode {
				continue
			}
			return err
		}
		for _, k := range kids {
			tree = append(tree, childPath(tree[i], k))
		}
	}
	for i := len(tree) - 1; i >= 0; i-- {
		if tree[i] == "/" {
			continue
		}
		if err := e.c.Delete(e.ctx, tree[i], -1); err != nil && zk.CodeOf(err) != zk.NoNode {
			return err
		}
	}
	return nil
}

func cmdSync(e *env) error {
	path := e.args[0]
	if err := checkPath(path, false); err != nil {
		return err
	}
	if err := e.c.Sync(e.ctx, path); err != nil {
		var ze *zk.Error
		if errors.As(err, &ze) {
			return cliErrorf("Sync has failed. rc=%d", int32(ze.Code))
		}
		return err
	}
	fmt.Fprintln(e.out, "Sync is OK")
	return nil
}

func cmdGetACL(e *env) error {
	path := e.args[0]
	if err := checkPath(path, false); err != nil {
		return err
	}
	acl, st, err := e.c.GetACL(e.ctx, path)
	if err != nil {
		return err
	}
	for _, a := range acl {
		fmt.Fprintf(e.out, "'%s,'%s\n: %s\n", csvEscape(a.Scheme), csvEscape(a.ID.ID), PermString(a.Perms))
	}
	if e.has('s') {
		PrintStat(e.out, st, e.loc)
	}
	return nil
}

func cmdSetACL(e *env) error {
	path := e.args[0]
	if err := checkPath(path, false); err != nil {
		return err
	}
	acl := ParseACL(e.args[1], e.err)
	v, err := parseVersion(e)
	if err != nil {
		return err
	}
	if e.has('R') {
		return visitDFS(e, path, func(p string) error {
			if _, err := e.c.SetACL(e.ctx, p, acl, v); err != nil {
				var ze *zk.Error
				if !errors.As(err, &ze) {
					return err
				}
				fmt.Fprint(e.out, ze.Error())
			}
			return nil
		})
	}
	st, err := e.c.SetACL(e.ctx, path, acl, v)
	if err != nil {
		return err
	}
	if e.has('s') {
		PrintStat(e.out, st, e.loc)
	}
	return nil
}

func cmdAllChildren(e *env) error {
	path := e.args[0]
	if err := checkPath(path, false); err != nil {
		return err
	}
	n, err := e.c.AllChildrenNumber(e.ctx, path)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.out, n)
	return nil
}
