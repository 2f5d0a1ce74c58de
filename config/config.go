package config

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paddock-zk/paddock/actors/msg"
)

// ErrInvalid is wrapped by every configuration error.
var ErrInvalid = errors.New("invalid configuration")

// MaxServerID is the largest server id: ZooKeeper puts the id in the top
// byte of session ids, so ids must fit in a byte.
const MaxServerID = 255

// Server is one server.N line.
type Server struct {
	ID          msg.NodeID
	Host        string
	ClusterPort int // NATS route port (ZooKeeper's quorum port)
	BusPort     int // NATS client port (ZooKeeper's election port)
	ClientHost  string
	ClientPort  int // from an optional ";[host:]port" suffix; 0 if absent
	// Observer: the line's role is observer. An observer learns commits
	// and serves clients but neither votes nor counts towards a quorum.
	Observer bool
}

// Config is a parsed zoo.cfg.
type Config struct {
	Path              string
	TickTime          time.Duration
	InitLimit         int
	SyncLimit         int
	DataDir           string
	DataLogDir        string
	ClientPort        int
	ClientPortAddress string
	MaxClientCnxns    int
	MinSessionTimeout time.Duration
	MaxSessionTimeout time.Duration
	SnapCount         int
	SnapRetainCount   int
	PurgeInterval     time.Duration
	FourLetterWords   []string
	JuteMaxBuffer     int
	// Metrics is metricsProvider.* (metrics.go).
	Metrics Metrics
	// ContainerCheck is how often the leader deletes empty containers and
	// expired TTL nodes (ZooKeeper's znode.container.checkIntervalMs);
	// ContainerMaxNeverUsed, if set, also deletes containers that never
	// had a child for that long (znode.container.maxNeverUsedIntervalMs).
	ContainerCheck        time.Duration
	ContainerMaxNeverUsed time.Duration
	ForceSync             bool
	Servers               []Server
	MyID                  msg.NodeID
	Ensemble              string
	ClusterAdvertise      string
	BusHost               string
	BusPort               int
	ClusterPort           int
	// The bus credentials (see the package doc): the peer credential, the
	// client users, and whether clients may connect without credentials.
	PeerUser              string
	PeerPassword          string
	ClientUsers           []ClientUser
	AllowAnonymousClients bool
	// SuperDigest is ZooKeeper's superDigest (user:base64(sha1(user:password))),
	// "" when none: a session authenticated as that user passes every ACL.
	SuperDigest string
	// PeerType is ZooKeeper's peerType ("participant" or "observer"; ""
	// when unset). The role on this node's own server line rules; a
	// peerType that disagrees draws a warning, as in ZooKeeper.
	PeerType string
	// ConfigVersion is the version= line of a dynamicConfigFile (0 when
	// there is none).
	ConfigVersion int64
	// EnforceQuota is ZooKeeper's zookeeper.enforceQuota: writes past a
	// quota's hard limit fail with QuotaExceeded.
	EnforceQuota bool
	// SecureClientPort is ZooKeeper's secureClientPort (0: none): the
	// client protocol over TLS on SecureClientPortAddress (default
	// clientPortAddress), with the PEM stores SSLKeyStore (key and
	// certificate chain) and SSLTrustStore (CAs for client certificates;
	// "" for the system's) and SSLClientAuth none, want or need.
	SecureClientPort        int
	SecureClientPortAddress string
	SSLKeyStore             string
	SSLTrustStore           string
	SSLClientAuth           string
	// SSLBus is paddock.sslBus: the bus port for native clients under TLS
	// with the same stores and client authentication as secureClientPort.
	SSLBus bool
	// SSLQuorum is ZooKeeper's sslQuorum: routes between nodes under
	// mutual TLS with the PEM stores SSLQuorumKeyStore and
	// SSLQuorumTrustStore (both required). With
	// SSLQuorumHostnameVerification (ssl.quorum.hostnameVerification,
	// default true) a peer's certificate must also name the host of one
	// of the server.N lines.
	SSLQuorum                     bool
	SSLQuorumKeyStore             string
	SSLQuorumTrustStore           string
	SSLQuorumHostnameVerification bool
	// Admin is ZooKeeper's AdminServer (the admin.* keys).
	Admin    AdminServer
	Warnings []string
}

// ClientUser is one user:password of paddock.clientUsers.
type ClientUser struct{ User, Password string }

// ErrOpenBus is wrapped (with ErrInvalid) by CheckBus's refusals.
var ErrOpenBus = errors.New("the bus would be open")

// KnownFourLetterWords lists ZooKeeper's four-letter words.
var KnownFourLetterWords = []string{"conf", "cons", "crst", "dump", "envi", "gtmk", "ruok", "stmk", "srst", "srvr", "stat", "wchc", "wchp", "wchs", "mntr", "isro", "hash", "dirs"}

type parser struct {
	name string
	line map[string]int
	vals map[string]string
	c    *Config
}

func (p *parser) errf(key, format string, a ...any) error {
	if l, ok := p.line[key]; ok {
		return fmt.Errorf("config: %s:%d: %s: %s: %w", p.name, l, key, fmt.Sprintf(format, a...), ErrInvalid)
	}
	return fmt.Errorf("config: %s: %s: %w", p.name, fmt.Sprintf(format, a...), ErrInvalid)
}

// Load parses path and reads dataDir/myid.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w: %w", err, ErrInvalid)
	}
	defer f.Close()
	c, err := Parse(f, path)
	if err != nil {
		return nil, err
	}
	if err := c.LoadMyID(); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse reads zoo.cfg text; it does not read myid. A dynamicConfigFile
// it names is read from the file system (relative to name's directory).
func Parse(r io.Reader, name string) (*Config, error) {
	p, err := scan(r, name, &Config{Path: name})
	if err != nil {
		return nil, err
	}
	if err := p.build(); err != nil {
		return nil, err
	}
	return p.c, nil
}

// scan reads Java-properties lines into a parser for c.
func scan(r io.Reader, name string, c *Config) (*parser, error) {
	p := &parser{name: name, line: map[string]int{}, vals: map[string]string{}, c: c}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == '#' || l[0] == '!' {
			continue
		}
		i := strings.IndexAny(l, "=:")
		if strings.HasPrefix(l, "server.") || strings.HasPrefix(l, "group.") || strings.HasPrefix(l, "weight.") {
			i = strings.IndexByte(l, '=')
		}
		if i <= 0 {
			return nil, fmt.Errorf("config: %s:%d: %q is not a key=value line: %w", name, n, l, ErrInvalid)
		}
		k, v := strings.TrimSpace(l[:i]), strings.TrimSpace(l[i+1:])
		if prev, dup := p.line[k]; dup {
			return nil, fmt.Errorf("config: %s:%d: %s: set again (first set on line %d); a repeated key is almost always a mistake: %w", name, n, k, prev, ErrInvalid)
		}
		p.line[k], p.vals[k] = n, v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("config: %s: %w", name, err)
	}
	return p, nil
}

func (p *parser) intKey(key string, def, lo, hi int, unit string) (int, error) {
	v, ok := p.vals[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, p.errf(key, "%q is not a whole number%s (want an integer from %d to %d)", v, unit, lo, hi)
	}
	return n, nil
}

var ensembleRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func (p *parser) build() error {
	c := p.c
	const maxInt = int(^uint(0) >> 1)
	tick, err := p.intKey("tickTime", 2000, 1, 1<<30, " of milliseconds")
	if err != nil {
		return err
	}
	c.TickTime = time.Duration(tick) * time.Millisecond
	c.DataDir = p.vals["dataDir"]
	if c.DataDir == "" {
		return p.errf("dataDir", "dataDir is required")
	}
	c.DataLogDir = p.vals["dataLogDir"]
	if c.DataLogDir == "" {
		c.DataLogDir = c.DataDir
	}
	if c.ClientPort, err = p.intKey("clientPort", 0, 1, 65535, ""); err != nil {
		return err
	}
	c.ClientPortAddress = p.vals["clientPortAddress"]
	if c.ClientPortAddress == "" {
		c.ClientPortAddress = "0.0.0.0"
	} else if net.ParseIP(c.ClientPortAddress) == nil && !validHost(c.ClientPortAddress) {
		return p.errf("clientPortAddress", "%q is not a host name or IP address", c.ClientPortAddress)
	}
	if c.MaxClientCnxns, err = p.intKey("maxClientCnxns", 60, 0, maxInt, ""); err != nil {
		return err
	}
	minST, err := p.intKey("minSessionTimeout", 2*tick, 1, maxInt, " of milliseconds")
	if err != nil {
		return err
	}
	maxST, err := p.intKey("maxSessionTimeout", 20*tick, 1, maxInt, " of milliseconds")
	if err != nil {
		return err
	}
	if minST > maxST {
		return p.errf("minSessionTimeout", "minSessionTimeout %d ms is greater than maxSessionTimeout %d ms", minST, maxST)
	}
	c.MinSessionTimeout, c.MaxSessionTimeout = time.Duration(minST)*time.Millisecond, time.Duration(maxST)*time.Millisecond
	snapKey := "snapCount"
	if _, ok := p.vals["zookeeper.snapCount"]; ok {
		snapKey = "zookeeper.snapCount"
	}
	if c.SnapCount, err = p.intKey(snapKey, 100000, 2, maxInt, ""); err != nil {
		return err
	}
	if c.SnapRetainCount, err = p.intKey("autopurge.snapRetainCount", 3, 1, maxInt, ""); err != nil {
		return err
	}
	if c.SnapRetainCount < 3 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s:%d: autopurge.snapRetainCount %d raised to the minimum 3, as ZooKeeper does", p.name, p.line["autopurge.snapRetainCount"], c.SnapRetainCount))
		c.SnapRetainCount = 3
	}
	hours, err := p.intKey("autopurge.purgeInterval", 0, 0, 1<<20, " of hours")
	if err != nil {
		return err
	}
	c.PurgeInterval = time.Duration(hours) * time.Hour
	if c.JuteMaxBuffer, err = p.intKey("jute.maxbuffer", 1<<20, 1, 1<<30, " of bytes"); err != nil {
		return err
	}
	ms, err := p.intKey("znode.container.checkIntervalMs", 60000, 1, 1<<31-1, " of milliseconds")
	if err != nil {
		return err
	}
	c.ContainerCheck = time.Duration(ms) * time.Millisecond
	if ms, err = p.intKey("znode.container.maxNeverUsedIntervalMs", 0, 0, 1<<31-1, " of milliseconds"); err != nil {
		return err
	}
	c.ContainerMaxNeverUsed = time.Duration(ms) * time.Millisecond
	c.ForceSync = true
	if v, ok := p.vals["forceSync"]; ok {
		switch strings.ToLower(v) {
		case "yes", "true":
		case "no", "false":
			c.ForceSync = false
		default:
			return p.errf("forceSync", "%q: want yes or no", v)
		}
	}
	if v, ok := p.vals["peerType"]; ok {
		if v != "participant" && v != "observer" {
			return p.errf("peerType", "%q: want participant or observer", v)
		}
		c.PeerType = v
	}
	if v, ok := p.vals["electionAlg"]; ok && v != "3" {
		return p.errf("electionAlg", "%q: only 3 (FastLeaderElection) exists", v)
	}
	c.FourLetterWords = []string{"srvr"}
	if v, ok := p.vals["4lw.commands.whitelist"]; ok {
		c.FourLetterWords = nil
		for _, w := range strings.Split(v, ",") {
			w = strings.TrimSpace(w)
			if w == "" {
				continue
			}
			if w != "*" && !contains(KnownFourLetterWords, w) {
				return p.errf("4lw.commands.whitelist", "unknown word %q (known: *, %s)", w, strings.Join(KnownFourLetterWords, " "))
			}
			c.FourLetterWords = append(c.FourLetterWords, w)
		}
	}
	if err := p.superDigest(); err != nil {
		return err
	}
	if err := p.enforceQuota(); err != nil {
		return err
	}
	c.Ensemble = "paddock"
	if v, ok := p.vals["paddock.ensemble"]; ok {
		if !ensembleRe.MatchString(v) {
			return p.errf("paddock.ensemble", "%q: want 1 to 64 of A-Z a-z 0-9 _ -", v)
		}
		c.Ensemble = v
	}
	if v, ok := p.vals["paddock.clusterAdvertise"]; ok {
		if _, _, err := splitHostPort(v); err != nil {
			return p.errf("paddock.clusterAdvertise", "%q: want host:port (%v)", v, err)
		}
		c.ClusterAdvertise = v
	}
	if err := p.credentials(); err != nil {
		return err
	}
	if err := p.serverLines(); err != nil {
		return err
	}
	if err := p.secure(); err != nil {
		return err
	}
	if err := p.quorumTLS(); err != nil {
		return err
	}
	if err := p.metrics(); err != nil {
		return err
	}
	if err := p.admin(); err != nil {
		return err
	}
	if err := p.unsupported(); err != nil {
		return err
	}
	if len(c.Servers) > 1 {
		for _, k := range []string{"initLimit", "syncLimit"} {
			if _, ok := p.vals[k]; !ok {
				return p.errf(k, "%s is required when there is more than one server", k)
			}
		}
	}
	if c.InitLimit, err = p.intKey("initLimit", 10, 1, 1<<20, " of ticks"); err != nil {
		return err
	}
	if c.SyncLimit, err = p.intKey("syncLimit", 5, 1, 1<<20, " of ticks"); err != nil {
		return err
	}
	if c.ClientPort == 0 {
		return p.errf("clientPort", "clientPort is required")
	}
	if len(c.Servers) <= 1 {
		def := c.ClientPort + 10000
		if def > 65535 {
			def = 0
		}
		if c.BusPort, err = p.intKey("paddock.busPort", def, 1, 65535, ""); err != nil {
			return err
		}
		if c.BusPort == 0 {
			return p.errf("paddock.busPort", "paddock.busPort is required when clientPort+10000 is not a valid port")
		}
		c.BusHost = "127.0.0.1"
		if len(c.Servers) == 1 {
			c.BusHost, c.BusPort = c.Servers[0].Host, c.Servers[0].BusPort
		}
	} else if _, ok := p.vals["paddock.busPort"]; ok {
		return p.errf("paddock.busPort", "only for a standalone node; clustered nodes take the bus port from their server line")
	}
	for k, l := range p.line {
		if _, known := p.known(k); !known {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s:%d: unknown key %q ignored", p.name, l, k))
		}
	}
	sort.Strings(c.Warnings)
	return nil
}

// superDigestKeys name ZooKeeper's superDigest: the Java system property
// (zookeeper.DigestAuthenticationProvider.superDigest), the same without its
// "zookeeper." prefix, and Paddock's own key. At most one may be set.
var superDigestKeys = []string{"zookeeper.DigestAuthenticationProvider.superDigest",
	"DigestAuthenticationProvider.superDigest", "paddock.superDigest"}

// aliased returns the key and value of whichever of keys is set (a Java
// system property may come under several names); "" if none, an error if
// more than one.
func (p *parser) aliased(what string, keys []string) (key, val string, err error) {
	for _, k := range keys {
		v, ok := p.vals[k]
		if !ok {
			continue
		}
		if key != "" {
			return "", "", p.errf(k, "%s is set twice (%s and %s)", what, key, k)
		}
		key, val = k, v
	}
	return key, val, nil
}

// superDigest reads the super user's digest: user:base64(sha1), as
// DigestAuthenticationProvider.generateDigest prints it.
func (p *parser) superDigest() error {
	k, v, err := p.aliased("superDigest", superDigestKeys)
	if err != nil || k == "" {
		return err
	}
	user, sum, ok := strings.Cut(v, ":")
	raw, err := base64.StdEncoding.DecodeString(sum)
	if !ok || user == "" || strings.Contains(sum, ":") || err != nil || len(raw) != sha1.Size {
		return p.errf(k, "%q: want user:base64(sha1(user:password))", v)
	}
	p.c.SuperDigest = v
	return nil
}

// enforceQuotaKeys name ZooKeeper's quota enforcement: the Java system
// property and the same without its "zookeeper." prefix. At most one may
// be set.
var enforceQuotaKeys = []string{"zookeeper.enforceQuota", "enforceQuota"}

// enforceQuota reads true or false (Java's Boolean.parseBoolean takes
// anything else as false; a typo here would silently leave quotas
// unenforced, so it is an error).
func (p *parser) enforceQuota() error {
	k, v, err := p.aliased("enforceQuota", enforceQuotaKeys)
	if err != nil || k == "" {
		return err
	}
	switch strings.ToLower(v) {
	case "true":
		p.c.EnforceQuota = true
	case "false":
	default:
		return p.errf(k, "%q: want true or false", v)
	}
	return nil
}

// secureKeys are the keys of the client-facing TLS: secureClientPort and
// paddock.sslBus, and the ssl.* stores both read.
var secureKeys = []string{"secureClientPort", "secureClientPortAddress", "paddock.sslBus", "ssl.keyStore.location", "ssl.keyStore.type",
	"ssl.keyStore.password", "ssl.trustStore.location", "ssl.trustStore.type", "ssl.trustStore.password", "ssl.clientAuth"}

// quorumKeys are the keys of TLS between servers.
var quorumKeys = []string{"sslQuorum", "ssl.quorum.keyStore.location", "ssl.quorum.keyStore.type", "ssl.quorum.keyStore.password",
	"ssl.quorum.trustStore.location", "ssl.quorum.trustStore.type", "ssl.quorum.trustStore.password", "ssl.quorum.hostnameVerification"}

// boolKey reads key as true/yes or false/no, def when it is unset.
// Anything else is an error: Java would quietly read a typo as false.
func (p *parser) boolKey(key string, def bool) (bool, error) {
	v, ok := p.vals[key]
	switch {
	case !ok:
		return def, nil
	case strings.EqualFold(v, "true") || strings.EqualFold(v, "yes"):
		return true, nil
	case strings.EqualFold(v, "false") || strings.EqualFold(v, "no"):
		return false, nil
	}
	return false, p.errf(key, "%q: want true or false", v)
}

// pemStores reads the key and trust store locations under prefix ("ssl."
// or "ssl.quorum."): PEM files only, unencrypted.
func (p *parser) pemStores(prefix string) (keyStore, trustStore string, err error) {
	for _, k := range []string{prefix + "keyStore.type", prefix + "trustStore.type"} {
		if v, ok := p.vals[k]; ok && !strings.EqualFold(v, "PEM") {
			return "", "", p.errf(k, "%q: only PEM stores are supported (convert a JKS or PKCS12 store with keytool and openssl)", v)
		}
	}
	for _, k := range []string{prefix + "keyStore.password", prefix + "trustStore.password"} {
		if v := p.vals[k]; v != "" {
			return "", "", p.errf(k, "encrypted PEM stores are not supported: use an unencrypted key readable by the node's user only")
		}
	}
	return p.vals[prefix+"keyStore.location"], p.vals[prefix+"trustStore.location"], nil
}

// secure reads secureClientPort, paddock.sslBus and the PEM stores they
// share. The ssl.* keys without either warn (they would do nothing).
func (p *parser) secure() error {
	c := p.c
	var err error
	if c.SSLBus, err = p.boolKey("paddock.sslBus", false); err != nil {
		return err
	}
	_, port := p.vals["secureClientPort"]
	for _, k := range secureKeys {
		_, set := p.vals[k]
		switch {
		case !set || port:
		case k == "secureClientPortAddress":
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s:%d: %s has no effect without secureClientPort", p.name, p.line[k], k))
		case strings.HasPrefix(k, "ssl.") && !c.SSLBus:
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s:%d: %s has no effect without secureClientPort or paddock.sslBus", p.name, p.line[k], k))
		}
	}
	if !port && !c.SSLBus {
		return nil
	}
	if port {
		if c.SecureClientPort, err = p.intKey("secureClientPort", 0, 1, 65535, ""); err != nil {
			return err
		}
		c.SecureClientPortAddress = p.vals["secureClientPortAddress"]
		if c.SecureClientPortAddress == "" {
			c.SecureClientPortAddress = c.ClientPortAddress
		} else if !validHost(c.SecureClientPortAddress) {
			return p.errf("secureClientPortAddress", "%q is not a host name or IP address", c.SecureClientPortAddress)
		}
	}
	if c.SSLKeyStore, c.SSLTrustStore, err = p.pemStores("ssl."); err != nil {
		return err
	}
	if c.SSLKeyStore == "" {
		who := "secureClientPort"
		if !port {
			who = "paddock.sslBus"
		}
		return p.errf(who, "needs ssl.keyStore.location (a PEM file with the private key and certificate chain)")
	}
	c.SSLClientAuth = "need" // ZooKeeper's default
	if v, ok := p.vals["ssl.clientAuth"]; ok {
		switch strings.ToLower(v) {
		case "none", "want", "need":
			c.SSLClientAuth = strings.ToLower(v)
		default:
			return p.errf("ssl.clientAuth", "%q: want none, want or need", v)
		}
	}
	if port && c.SecureClientPort == c.ClientPort {
		return p.errf("secureClientPort", "must differ from clientPort")
	}
	return nil
}

// quorumTLS reads sslQuorum and its ssl.quorum.* stores; those keys
// without sslQuorum=true warn.
func (p *parser) quorumTLS() error {
	c := p.c
	var err error
	if c.SSLQuorum, err = p.boolKey("sslQuorum", false); err != nil {
		return err
	}
	if !c.SSLQuorum {
		for _, k := range quorumKeys[1:] {
			if _, set := p.vals[k]; set {
				c.Warnings = append(c.Warnings, fmt.Sprintf("%s:%d: %s has no effect without sslQuorum=true", p.name, p.line[k], k))
			}
		}
		return nil
	}
	if c.SSLQuorumKeyStore, c.SSLQuorumTrustStore, err = p.pemStores("ssl.quorum."); err != nil {
		return err
	}
	if c.SSLQuorumKeyStore == "" {
		return p.errf("sslQuorum", "needs ssl.quorum.keyStore.location (a PEM file with this node's private key and certificate chain)")
	}
	if c.SSLQuorumTrustStore == "" {
		return p.errf("sslQuorum", "needs ssl.quorum.trustStore.location (PEM CA certificates the peers' certificates must chain to; "+
			"the system's roots would admit any public CA's certificate)")
	}
	if c.SSLQuorumHostnameVerification, err = p.boolKey("ssl.quorum.hostnameVerification", true); err != nil {
		return err
	}
	if len(c.Servers) <= 1 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s:%d: sslQuorum=true has no effect on a standalone node: it has no routes", p.name, p.line["sslQuorum"]))
	}
	return nil
}

func (p *parser) known(k string) (string, bool) {
	switch k {
	case "tickTime", "initLimit", "syncLimit", "dataDir", "dataLogDir", "clientPort", "clientPortAddress",
		"maxClientCnxns", "minSessionTimeout", "maxSessionTimeout", "snapCount", "zookeeper.snapCount",
		"autopurge.snapRetainCount", "autopurge.purgeInterval", "4lw.commands.whitelist", "jute.maxbuffer",
		"forceSync", "electionAlg", "peerType", "paddock.ensemble", "paddock.busPort", "paddock.clusterAdvertise",
		"paddock.peerUser", "paddock.peerPassword", "paddock.clientUsers", "paddock.allowAnonymousClients",
		"znode.container.checkIntervalMs", "znode.container.maxNeverUsedIntervalMs":
		return k, true
	}
	if slices.Contains(superDigestKeys, k) || slices.Contains(enforceQuotaKeys, k) || slices.Contains(secureKeys, k) ||
		slices.Contains(quorumKeys, k) {
		return k, true
	}
	if slices.Contains(metricsKeys, k) {
		return k, true
	}
	if strings.HasPrefix(k, "server.") || k == "dynamicConfigFile" {
		return k, true
	}
	if slices.Contains(adminKeys, k) {
		return k, true
	}
	_, ok := lookupZooKey(k)
	return k, ok
}

// userRe is what a bus user name may be: it becomes a NATS subject token
// (the client's reply prefix _PDK.<user>), and names starting with _ are
// the bus's own.
var userRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

const userRule = "want 1 to 64 of A-Z a-z 0-9 _ -, starting with a letter or digit"

// validPassword: no spaces (they would not survive the file) and no comma
// (the clientUsers separator).
func validPassword(pw string) bool {
	return pw != "" && !strings.ContainsAny(pw, ", \t\r\n\f\v")
}

func (p *parser) credentials() error {
	c := p.c
	user, hasUser := p.vals["paddock.peerUser"]
	pw, hasPw := p.vals["paddock.peerPassword"]
	switch {
	case hasUser && !hasPw:
		return p.errf("paddock.peerUser", "paddock.peerPassword is required with it")
	case hasPw && !hasUser:
		return p.errf("paddock.peerPassword", "paddock.peerUser is required with it")
	case hasUser && !userRe.MatchString(user):
		return p.errf("paddock.peerUser", "%q: %s", user, userRule)
	case hasPw && !validPassword(pw):
		return p.errf("paddock.peerPassword", "want a non-empty password without spaces or commas")
	}
	c.PeerUser, c.PeerPassword = user, pw
	if v, ok := p.vals["paddock.clientUsers"]; ok {
		seen := map[string]bool{}
		for _, e := range strings.Split(v, ",") {
			e = strings.TrimSpace(e)
			if e == "" {
				continue
			}
			u, pw, ok := strings.Cut(e, ":")
			switch {
			case !ok:
				return p.errf("paddock.clientUsers", "entry %q: want user:password", e)
			case !userRe.MatchString(u):
				return p.errf("paddock.clientUsers", "user %q: %s", u, userRule)
			case !validPassword(pw):
				return p.errf("paddock.clientUsers", "user %q: want a non-empty password without spaces or commas", u)
			case u == c.PeerUser:
				return p.errf("paddock.clientUsers", "user %q is also paddock.peerUser; clients and peers need different credentials", u)
			case seen[u]:
				return p.errf("paddock.clientUsers", "user %q given twice", u)
			}
			seen[u] = true
			c.ClientUsers = append(c.ClientUsers, ClientUser{User: u, Password: pw})
		}
	}
	if v, ok := p.vals["paddock.allowAnonymousClients"]; ok {
		switch strings.ToLower(v) {
		case "true", "yes":
			c.AllowAnonymousClients = true
		case "false", "no":
		default:
			return p.errf("paddock.allowAnonymousClients", "%q: want true or false", v)
		}
	}
	return nil
}

// CheckBus refuses a configuration whose bus would let a client reach the
// consensus subjects: native clients (paddock.clientUsers or
// paddock.allowAnonymousClients) on a multi-server ensemble need the peer
// credential, which authenticates the routes between nodes. Without any
// Paddock credential a multi-server ensemble runs a closed bus (see
// ClosedBus). Errors wrap ErrOpenBus and ErrInvalid.
func (c *Config) CheckBus() error {
	if !c.Standalone() && c.PeerUser == "" && (len(c.ClientUsers) > 0 || c.AllowAnonymousClients) {
		return fmt.Errorf("config: %s: native clients on a multi-server ensemble need paddock.peerUser and "+
			"paddock.peerPassword as well (the peer credential authenticates the routes between nodes; "+
			"without it anyone who reaches a route port could join the bus): %w: %w", c.Path, ErrOpenBus, ErrInvalid)
	}
	return nil
}

// ClosedBus reports whether the bus admits no connection but the node's
// own: no client credentials are configured and the node is part of an
// ensemble or has a peer credential. ZooKeeper clients are served on
// clientPort all the same. A standalone node without any credential runs
// an open bus instead, bound to 127.0.0.1.
func (c *Config) ClosedBus() bool {
	return len(c.ClientUsers) == 0 && !c.AllowAnonymousClients && (c.PeerUser != "" || !c.Standalone())
}

// BusWarning is the one warning a node logs at start about its bus, ""
// when the bus has both peer and client credentials.
func (c *Config) BusWarning() string {
	switch {
	case c.ClosedBus() && c.PeerUser == "" && c.SSLQuorum:
		return "no Paddock credentials: the bus admits no native client (ZooKeeper clients are served on clientPort) " +
			"and session passwords follow from session ids (the routes are authenticated by sslQuorum's certificates); " +
			"set paddock.peerUser and paddock.peerPassword to key them, and paddock.clientUsers " +
			"(or paddock.allowAnonymousClients=true) to admit native clients"
	case c.ClosedBus() && c.PeerUser == "":
		return "no Paddock credentials: the bus admits no native client (ZooKeeper clients are served on clientPort) " +
			"and the routes between nodes are unauthenticated, like ZooKeeper's quorum ports; set paddock.peerUser " +
			"and paddock.peerPassword to authenticate peers, and paddock.clientUsers (or paddock.allowAnonymousClients=true) " +
			"to admit native clients"
	case c.ClosedBus():
		return "no client credentials: the bus admits no native client (ZooKeeper clients are served on clientPort); " +
			"set paddock.clientUsers=user:password[,...] or paddock.allowAnonymousClients=true to admit them"
	case c.PeerUser == "" && len(c.ClientUsers) == 0:
		return "the bus is open: anyone who reaches the bus port may publish anything; set paddock.peerUser, " +
			"paddock.peerPassword and paddock.clientUsers"
	}
	return ""
}

// serverLines reads the server.N lines from zoo.cfg or, as ZooKeeper 3.5+
// does, from the dynamicConfigFile it names (server.N lines and an
// optional version=<hex>); they may not stand in both.
func (p *parser) serverLines() error {
	path, ok := p.vals["dynamicConfigFile"]
	if !ok {
		return p.servers()
	}
	for k := range p.vals {
		if strings.HasPrefix(k, "server.") {
			return p.errf(k, "server lines belong in dynamicConfigFile %s when it is set", path)
		}
	}
	if path == "" {
		return p.errf("dynamicConfigFile", "want a file name")
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(p.name), path)
	}
	f, err := os.Open(path)
	if err != nil {
		return p.errf("dynamicConfigFile", "%v", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return p.errf("dynamicConfigFile", "%s is not a regular file", path)
	}
	dyn, err := scan(f, path, p.c)
	if err != nil {
		return err
	}
	for k, v := range dyn.vals {
		switch {
		case strings.HasPrefix(k, "server."):
		case k == "version":
			ver, err := strconv.ParseUint(v, 16, 64)
			if err != nil {
				return dyn.errf(k, "%q: want a hexadecimal zxid", v)
			}
			p.c.ConfigVersion = int64(ver)
		case strings.HasPrefix(k, "group.") || strings.HasPrefix(k, "weight."):
			return dyn.errf(k, "hierarchical quorums are not supported: every server would count as one vote")
		default:
			return dyn.errf(k, "a dynamic configuration file holds only server.N lines and version")
		}
	}
	return dyn.servers()
}

func (p *parser) servers() error {
	c := p.c
	seenPort := map[string]string{}
	for k, v := range p.vals {
		if !strings.HasPrefix(k, "server.") {
			continue
		}
		id, err := strconv.Atoi(strings.TrimPrefix(k, "server."))
		if err != nil || id < 1 || id > MaxServerID {
			return p.errf(k, "%q is not a server id (want server.N with N from 1 to %d; ids go in the top byte of session ids)", strings.TrimPrefix(k, "server."), MaxServerID)
		}
		s := Server{ID: msg.NodeID(id)}
		addr, client, hasClient := strings.Cut(v, ";")
		parts := strings.Split(strings.TrimSpace(addr), ":")
		if len(parts) == 4 {
			switch parts[3] {
			case "participant":
			case "observer":
				s.Observer = true
			default:
				return p.errf(k, "role %q: want participant or observer", parts[3])
			}
			parts = parts[:3]
		}
		if len(parts) != 3 {
			return p.errf(k, "%q needs a host and two ports (host:clusterPort:busPort)", v)
		}
		if !validHost(parts[0]) {
			return p.errf(k, "%q is not a host name or IP address", parts[0])
		}
		s.Host = parts[0]
		for i, dst := range []*int{&s.ClusterPort, &s.BusPort} {
			n, err := strconv.Atoi(parts[i+1])
			if err != nil || n < 1 || n > 65535 {
				return p.errf(k, "port %q: want 1 to 65535", parts[i+1])
			}
			*dst = n
		}
		if s.ClusterPort == s.BusPort {
			return p.errf(k, "cluster and bus ports must differ")
		}
		if hasClient {
			h, port, err := splitClient(strings.TrimSpace(client))
			if err != nil {
				return p.errf(k, "client address %q: %v", client, err)
			}
			s.ClientHost, s.ClientPort = h, port
		}
		for _, port := range []int{s.ClusterPort, s.BusPort} {
			key := net.JoinHostPort(s.Host, strconv.Itoa(port))
			if other, dup := seenPort[key]; dup {
				return p.errf(k, "%s is also used by %s", key, other)
			}
			seenPort[key] = k
		}
		c.Servers = append(c.Servers, s)
	}
	sort.Slice(c.Servers, func(i, j int) bool { return c.Servers[i].ID < c.Servers[j].ID })
	if len(c.Servers) > 0 && len(c.Voters()) == 0 {
		return p.errf("server."+strconv.Itoa(int(c.Servers[0].ID)), "every server is an observer: an ensemble needs at least one participant to vote")
	}
	return nil
}

func splitClient(s string) (string, int, error) {
	host, port := "", s
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, port = s[:i], s[i+1:]
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", 0, fmt.Errorf("port %q: want 1 to 65535", port)
	}
	if host != "" && !validHost(host) {
		return "", 0, fmt.Errorf("%q is not a host name or IP address", host)
	}
	return host, n, nil
}

func splitHostPort(s string) (string, int, error) {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 || !validHost(h) {
		return "", 0, errors.New("bad host or port")
	}
	return h, n, nil
}

var hostRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$`)

func validHost(h string) bool {
	return net.ParseIP(strings.Trim(h, "[]")) != nil || hostRe.MatchString(h)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// LoadMyID reads dataDir/myid. It is required when there is more than one
// server and must name one of them.
func (c *Config) LoadMyID() error {
	path := filepath.Join(c.DataDir, "myid")
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && len(c.Servers) <= 1 {
			if len(c.Servers) == 1 {
				c.MyID = c.Servers[0].ID
			}
			return nil
		}
		return fmt.Errorf("config: %s: %w (a multi-server ensemble needs myid in dataDir): %w", path, err, ErrInvalid)
	}
	v := strings.TrimSpace(string(b))
	id, err := strconv.Atoi(v)
	if err != nil || id < 1 || id > MaxServerID {
		return fmt.Errorf("config: %s: %q is not a server id (want an integer 1..%d that matches a server.N line): %w", path, v, MaxServerID, ErrInvalid)
	}
	c.MyID = msg.NodeID(id)
	if len(c.Servers) == 0 {
		return nil
	}
	self, ok := c.Self()
	if !ok {
		return fmt.Errorf("config: %s: myid %d matches no server.N line in %s: %w", path, id, c.Path, ErrInvalid)
	}
	c.BusHost, c.BusPort, c.ClusterPort = self.Host, self.BusPort, self.ClusterPort
	if c.PeerType != "" && c.PeerType != self.Role() {
		// QuorumPeerConfig's rule: the servers list wins.
		c.Warnings = append(c.Warnings, fmt.Sprintf("peer type from the servers list (%s) does not match peerType (%s); using the servers list", self.Role(), c.PeerType))
	}
	if len(c.Servers) == 1 {
		c.ClusterPort = 0
	}
	return nil
}

// Standalone reports whether the config describes a single-node ensemble.
func (c *Config) Standalone() bool { return len(c.Servers) <= 1 }

// ZKConfig is the data of /zookeeper/config as ZooKeeper 3.8 writes it
// for a static ensemble (QuorumMaj.toString): one
// "server.N=host:port1:port2:participant[;clientHost:clientPort]" line
// per server by id, then "version=0", the version of a configuration
// that no reconfig has changed. A standalone node has none (nil), as a
// standalone ZooKeeper leaves the node empty. Only the server lines go
// in, rewritten canonically, so nodes whose server lines agree produce
// the same bytes however their files are laid out.
func (c *Config) ZKConfig() []byte {
	if c.Standalone() {
		return nil
	}
	servers := slices.Clone(c.Servers)
	slices.SortFunc(servers, func(a, b Server) int { return int(a.ID) - int(b.ID) })
	var b strings.Builder
	for _, s := range servers {
		fmt.Fprintf(&b, "server.%d=%s:%d:%d:%s", s.ID, zkHost(s.Host), s.ClusterPort, s.BusPort, s.Role())
		if s.ClientPort != 0 {
			h := s.ClientHost
			if h == "" {
				h = "0.0.0.0" // ZooKeeper binds a bare ";port" to the wildcard address
			}
			fmt.Fprintf(&b, ";%s:%d", zkHost(h), s.ClientPort)
		}
		b.WriteByte('\n')
	}
	// QuorumMaj.toString: the version in hex, 0 for a static config.
	fmt.Fprintf(&b, "version=%x", c.ConfigVersion)
	return []byte(b.String())
}

// zkHost is QuorumServer.delimitedHostString: IPv6 literals in brackets.
func zkHost(h string) string {
	h = strings.Trim(h, "[]")
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

// Self is this node's server line.
func (c *Config) Self() (Server, bool) {
	for _, s := range c.Servers {
		if s.ID == c.MyID {
			return s, true
		}
	}
	return Server{}, false
}

// Peers are the servers other than this node.
func (c *Config) Peers() []Server {
	var out []Server
	for _, s := range c.Servers {
		if s.ID != c.MyID {
			out = append(out, s)
		}
	}
	return out
}

// Role is the server line's role as ZooKeeper spells it.
func (s Server) Role() string {
	if s.Observer {
		return "observer"
	}
	return "participant"
}

// Voters are the ids of every participant.
func (c *Config) Voters() []msg.NodeID {
	out := make([]msg.NodeID, 0, len(c.Servers))
	for _, s := range c.Servers {
		if !s.Observer {
			out = append(out, s.ID)
		}
	}
	return out
}

// Observers are the ids of every observer.
func (c *Config) Observers() []msg.NodeID {
	var out []msg.NodeID
	for _, s := range c.Servers {
		if s.Observer {
			out = append(out, s.ID)
		}
	}
	return out
}

// IsObserver reports whether this node is an observer.
func (c *Config) IsObserver() bool {
	s, ok := c.Self()
	return ok && s.Observer
}

// ClientAddr is the address the client port binds.
func (c *Config) ClientAddr() string {
	return net.JoinHostPort(c.ClientPortAddress, strconv.Itoa(c.ClientPort))
}

// SecureClientAddr is the address the secure client port binds, "" for
// none.
func (c *Config) SecureClientAddr() string {
	if c.SecureClientPort == 0 {
		return ""
	}
	return net.JoinHostPort(c.SecureClientPortAddress, strconv.Itoa(c.SecureClientPort))
}

// BusClientTLS are the PEM files a local tool (node cli -config, node
// trace) reaches this node's bus with when paddock.sslBus is set: it
// trusts ssl.trustStore.location, which is right where one CA signs both
// the nodes' and the clients' certificates ("" for the system's roots),
// and, when the bus demands a client certificate (ssl.clientAuth=need),
// presents the node's own ssl.keyStore.location, which then needs the
// clientAuth extended key usage. The tools' -tls-ca and -tls-cert flags
// override either.
func (c *Config) BusClientTLS() (keyStore, trustStore string) {
	if c.SSLClientAuth == "need" {
		keyStore = c.SSLKeyStore
	}
	return keyStore, c.SSLTrustStore
}

// BusCredentialFile is where a node whose bus is closed without a peer
// credential leaves its own random bus credential (user:password), for
// local operator tools such as node trace.
func (c *Config) BusCredentialFile() string { return filepath.Join(c.DataDir, "paddock.buscred") }

// PidFile is where a running node records its pid.
func (c *Config) PidFile() string { return filepath.Join(c.DataDir, "paddock.pid") }
