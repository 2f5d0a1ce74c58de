package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func repoRoot(t *testing.T) string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// goFiles yields every non-test Go file under root, with its path relative to root.
func goFiles(t *testing.T, root string, fn func(rel string, f *ast.File)) {
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		full, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err == nil {
			f = full
		}
		rel, _ := filepath.Rel(root, path)
		fn(filepath.ToSlash(rel), f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// busLibraries say which packages may import the bus's libraries:
// nats-server only the bus itself; the NATS client library the bus, its
// wire package and the native client; msgpack only the wire package.
var busLibraries = []struct {
	prefix  string
	allowed []string
}{
	{"github.com/nats-io/nats-server/", []string{"actors/natsbus/"}},
	{"github.com/nats-io/", []string{"actors/natsbus/", "actors/buswire/", "client/"}},
	{"github.com/vmihailenco/msgpack", []string{"actors/buswire/"}},
}

func TestBusLibrariesStayInTheBus(t *testing.T) {
	root := repoRoot(t)
	goFiles(t, root, func(rel string, f *ast.File) {
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, lib := range busLibraries {
				if !strings.HasPrefix(p, lib.prefix) {
					continue
				}
				ok := false
				for _, a := range lib.allowed {
					ok = ok || strings.HasPrefix(rel, a)
				}
				if !ok {
					t.Errorf("%s imports %s: only %v may", rel, p, lib.allowed)
				}
				break // the first rule that matches decides
			}
		}
	})
}

// The native client links the NATS client library, never nats-server,
// directly or through a package of the module: an application that embeds
// the client should not carry a server.
func TestClientLinksNoServer(t *testing.T) {
	g := importGraph(t)
	via := g.reach("client")
	for dir := range via {
		for ext := range g.external[dir] {
			if strings.HasPrefix(ext, "github.com/nats-io/nats-server/") {
				t.Errorf("client links %s through %s", ext, strings.Join(chain(via, dir), " -> "))
			}
		}
	}
}

// narrowImports are packages kept to a short list of imports besides the
// standard library: the bus (its TLS configs come in as *tls.Config, built
// by package server with internal/pemtls) and the PEM store loader, which
// both front ends' TLS share.
var narrowImports = map[string][]string{
	"actors/natsbus/": {"github.com/paddock-zk/paddock/actors", "github.com/paddock-zk/paddock/actors/msg",
		"github.com/paddock-zk/paddock/actors/buswire", "github.com/nats-io/"},
	"actors/buswire/": {"github.com/paddock-zk/paddock/actors/msg", "github.com/nats-io/nats.go",
		"github.com/vmihailenco/msgpack/"},
	"internal/pemtls/": nil,
	// The store, shell included, reaches the node only through the actors
	// seams and its Disk: no bus, no storage package, no front end.
	"store/": {"github.com/paddock-zk/paddock/actors", "github.com/paddock-zk/paddock/actors/msg",
		"github.com/paddock-zk/paddock/replica", "github.com/paddock-zk/paddock/watcher",
		"github.com/paddock-zk/paddock/znode", "github.com/paddock-zk/paddock/zk"},
}

func TestNarrowImports(t *testing.T) {
	eachImport(t, narrowImports, func(rel, dir, p string, allowed []string) {
		if !strings.Contains(strings.SplitN(p, "/", 2)[0], ".") {
			return // the standard library
		}
		ok := false
		for _, a := range allowed {
			ok = ok || p == a || strings.HasSuffix(a, "/") && strings.HasPrefix(p, a)
		}
		if !ok {
			t.Errorf("%s imports %s: %s may import only the standard library and %v", rel, p, dir, allowed)
		}
	})
}

// eachImport calls check with every import of every non-test file under a
// directory that rules names, and that directory's rule.
func eachImport(t *testing.T, rules map[string][]string, check func(rel, dir, imp string, rule []string)) {
	goFiles(t, repoRoot(t), func(rel string, f *ast.File) {
		for dir, rule := range rules {
			if !strings.HasPrefix(rel, dir) {
				continue
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				check(rel, dir, p, rule)
			}
		}
	})
}

const module = "github.com/paddock-zk/paddock"

// cores are the packages whose protocol logic must be a pure function of
// messages and ticks (with their shells, see shells).
var cores = []string{"voter/", "replica/", "sessions/", "watcher/", "znode/", "store/", "actors/membus/", "zk/"}

var forbidden = map[string]map[string]bool{
	"time": {"Now": true, "Sleep": true, "After": true, "Tick": true, "NewTimer": true, "NewTicker": true, "Since": true, "Until": true, "AfterFunc": true},
	"rand": {"Int": true, "Intn": true, "Int63": true, "Int63n": true, "Int31": true, "Int31n": true, "Float64": true, "Float32": true, "Perm": true, "Shuffle": true, "Uint32": true, "Uint64": true, "Seed": true, "N": true, "IntN": true},
}

// shells are the files that run a pure core as an actor, beside it in its
// package: they may start goroutines and do I/O through the seams they
// are given; the rest of the package may not.
var shells = map[string]bool{"voter/actor.go": true, "sessions/actor.go": true, "store/actor.go": true}

// pureCoreFile reports whether rel is a file of a pure core, not of its
// shell (replica/wal is the disk layer, not a core).
func pureCoreFile(rel string) bool {
	if shells[rel] || strings.HasPrefix(rel, "replica/wal/") {
		return false
	}
	for _, c := range cores {
		if strings.HasPrefix(rel, c) {
			return true
		}
	}
	return false
}

func TestPureCoresStartNoGoroutines(t *testing.T) {
	root := repoRoot(t)
	goFiles(t, root, func(rel string, f *ast.File) {
		if !pureCoreFile(rel) {
			return
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if _, ok := n.(*ast.GoStmt); ok {
				t.Errorf("%s starts a goroutine: a pure core is stepped by its shell (actor.go), which may", rel)
			}
			return true
		})
	})
}

// impure are packages a pure core file may not import: I/O, time,
// concurrency, and the runtime shell with its clock and bus. The shell
// imports them.
// (net/netip, which only parses addresses, is fine.)
var impure = []string{"os", "os/", "net", "net/http", "net/http/", "net/rpc", "syscall", "io/fs", "time", "sync", "sync/",
	"runtime", module + "/actors", module + "/actors/natsbus", module + "/replica/wal", "github.com/nats-io/"}

func TestPureCoresDoNoIO(t *testing.T) {
	root := repoRoot(t)
	goFiles(t, root, func(rel string, f *ast.File) {
		if !pureCoreFile(rel) {
			return
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(rel, "actors/membus/") && p == module+"/actors" {
				continue // the Bus it implements
			}
			for _, bad := range impure {
				if p == bad || strings.HasSuffix(bad, "/") && strings.HasPrefix(p, bad) {
					t.Errorf("%s imports %s: a pure core does no I/O, reads no clock and runs no goroutine; its shell (actor.go) does", rel, p)
				}
			}
		}
	})
}

func TestPureCoresHaveNoClockOrGlobalRand(t *testing.T) {
	root := repoRoot(t)
	goFiles(t, root, func(rel string, f *ast.File) {
		core := false
		for _, c := range cores {
			core = core || strings.HasPrefix(rel, c)
		}
		// replica/wal is the disk layer, not a core.
		if !core || strings.HasPrefix(rel, "replica/wal/") {
			return
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && forbidden[id.Name][sel.Sel.Name] {
				t.Errorf("%s uses %s.%s: pure cores take ticks and an injected *rand.Rand", rel, id.Name, sel.Sel.Name)
			}
			return true
		})
	})
}

// pureLeaves are packages every layer imports, clients included: they may
// import only these standard packages, none of which does I/O, keeps time
// or draws random numbers, so importing them costs nothing and changes
// nothing.
var pureLeaves = map[string][]string{
	"zk/": {"errors", "strconv", "strings", "bytes", "slices", "maps", "sort", "unicode/utf8", "math", "math/bits"},
}

func TestPureLeavesDoNoIO(t *testing.T) {
	eachImport(t, pureLeaves, func(rel, dir, p string, allowed []string) {
		if !slices.Contains(allowed, p) {
			t.Errorf("%s imports %s: %s is a pure leaf and may import only %v", rel, p, dir, allowed)
		}
	})
}

// production are the packages a node runs that must carry no fault
// machinery: the storage, the replicated store and the node's assembly.
// Their tests may use it; cmd/node wires it from the environment.
var production = []string{"replica", "store", "server"}

// faultMachinery are the packages that arm crash points and fake file
// systems. Production code gets their effects only through hooks and
// options (wal.Options.CrashHook, server.WithCrashHook, server.WithFS).
var faultMachinery = []string{"internal/crashpoint", "internal/faultfs", "internal/memfs"}

func isProduction(dir string) bool {
	for _, p := range production {
		if dir == p || strings.HasPrefix(dir, p+"/") {
			return true
		}
	}
	return false
}

// The check follows imports through the module's other packages too, so a
// helper package cannot smuggle the machinery in.
func TestFaultMachineryStaysOutOfProduction(t *testing.T) {
	g := importGraph(t)
	for dir := range g.module {
		if !isProduction(dir) {
			continue
		}
		via := g.reach(dir)
		for _, bad := range faultMachinery {
			if _, ok := via[bad]; ok {
				t.Errorf("%s depends on %s (%s): fault machinery comes in through hooks and options", dir, bad, strings.Join(chain(via, bad), " -> "))
			}
		}
	}
}

// The cores, shells included, are run by the node over a bus they reach
// only through actors.Bus: none links NATS, directly or through another
// package of the module.
func TestCoresLinkNoBus(t *testing.T) {
	g := importGraph(t)
	for _, c := range cores {
		dir := strings.TrimSuffix(c, "/")
		via := g.reach(dir)
		if _, ok := via["actors/natsbus"]; ok {
			t.Errorf("%s depends on actors/natsbus (%s): send through actors.Bus", dir, strings.Join(chain(via, "actors/natsbus"), " -> "))
		}
		for p := range via {
			for ext := range g.external[p] {
				if strings.HasPrefix(ext, "github.com/nats-io/") {
					t.Errorf("%s links %s through %s", dir, ext, strings.Join(chain(via, p), " -> "))
				}
			}
		}
	}
}

// graph is the module's import graph over non-test files.
type graph struct {
	module   map[string]map[string]bool // package dir → module package dirs it imports
	external map[string]map[string]bool // package dir → other packages it imports
}

func importGraph(t *testing.T) graph {
	g := graph{module: map[string]map[string]bool{}, external: map[string]map[string]bool{}}
	goFiles(t, repoRoot(t), func(rel string, f *ast.File) {
		dir := filepath.ToSlash(filepath.Dir(rel))
		if g.module[dir] == nil {
			g.module[dir], g.external[dir] = map[string]bool{}, map[string]bool{}
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if dep, ok := strings.CutPrefix(p, module+"/"); ok {
				g.module[dir][dep] = true
			} else {
				g.external[dir][p] = true
			}
		}
	})
	return g
}

// reach walks the module packages dir depends on, breadth first, and
// returns each one with the package it was reached from ("" for dir).
func (g graph) reach(dir string) map[string]string {
	via := map[string]string{dir: ""}
	queue := []string{dir}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for dep := range g.module[p] {
			if _, seen := via[dep]; seen {
				continue
			}
			via[dep] = p
			queue = append(queue, dep)
		}
	}
	return via
}

// chain is the import path that reached p.
func chain(via map[string]string, p string) []string {
	out := []string{p}
	for q := via[p]; q != ""; q = via[q] {
		out = append([]string{q}, out...)
	}
	return out
}

// A node's behaviour must not change with the environment behind its
// back: the production packages read no environment variables; cmd/node
// reads them and passes options.
func TestProductionReadsNoEnvironment(t *testing.T) {
	root := repoRoot(t)
	goFiles(t, root, func(rel string, f *ast.File) {
		if !isProduction(filepath.ToSlash(filepath.Dir(rel))) {
			return
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "os" {
				switch sel.Sel.Name {
				case "Getenv", "LookupEnv", "Environ", "ExpandEnv":
					t.Errorf("%s uses os.%s: take the setting as an option, read it in cmd/node", rel, sel.Sel.Name)
				}
			}
			return true
		})
	})
}

// testOnly are the test kits and who besides _test.go files may import
// them: a node never links test machinery, and the gauntlet and the
// benchmark harness cmd/zkcompare, which run ensembles outside a test's
// own files, are test infrastructure themselves.
var testOnly = map[string][]string{
	"internal/testkit":  {"internal/gauntlet", "cmd/zkcompare"},
	"internal/testutil": {"internal/testkit", "internal/gauntlet", "cmd/zkcompare"},
}

func TestTestKitsOnlyInTests(t *testing.T) {
	goFiles(t, repoRoot(t), func(rel string, f *ast.File) {
		dir := filepath.ToSlash(filepath.Dir(rel))
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			kit, ok := strings.CutPrefix(p, module+"/")
			allowed, isKit := testOnly[kit]
			if !ok || !isKit || dir == kit || slices.Contains(allowed, dir) {
				continue
			}
			t.Errorf("%s imports %s: only _test.go files and %v may", rel, p, allowed)
		}
	})
}
