package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// A zooKey is a ZooKeeper key Paddock recognises but does not act on. The
// values fine accepts mean what Paddock does anyway and pass in silence;
// any other value is never silently ignored: it gets a warning naming the
// key, or, where ignoring it would leave the node less secure or change
// what a quorum is, refuses the configuration.
type zooKey struct {
	fine   func(v string) bool
	refuse bool
	why    string
}

func isFalse(v string) bool { return strings.EqualFold(v, "false") || strings.EqualFold(v, "no") }
func isTrue(v string) bool  { return strings.EqualFold(v, "true") || strings.EqualFold(v, "yes") }
func never(string) bool     { return false }

// zooKeys are matched by exact name; zooPrefixes by prefix (a key such as
// metricsProvider.httpPort).
var zooKeys = map[string]zooKey{
	"portUnification":         {isFalse, false, "TLS is served on secureClientPort only"},
	"serverCnxnFactory":       {never, false, "Paddock has its own client front end"},
	"client.secure":           {isFalse, false, "a client-side setting"},
	"zookeeper.client.secure": {isFalse, false, "a client-side setting"},
	"quorum.auth.enableSasl": {isFalse, true, "SASL between servers is not supported; " +
		"set paddock.peerUser and paddock.peerPassword to authenticate peers"},
	"quorum.auth.learnerRequireSasl": {isFalse, true, "SASL between servers is not supported; " +
		"set paddock.peerUser and paddock.peerPassword to authenticate peers"},
	"quorum.auth.serverRequireSasl": {isFalse, true, "SASL between servers is not supported; " +
		"set paddock.peerUser and paddock.peerPassword to authenticate peers"},
	"requireClientAuthScheme": {never, true, "SASL client authentication is not supported: " +
		"clients without it would be let in"},
	"zookeeper.sessionRequireClientSASLAuth": {isFalse, true, "SASL client authentication is not supported: " +
		"clients without it would be let in"},
	"enforce.auth.enabled": {isFalse, true, "enforced client authentication is not supported: " +
		"unauthenticated clients would be let in"},
	"enforce.auth.schemes":               {never, false, "has no effect: enforce.auth.enabled is not supported"},
	"skipACL":                            {isFalse, false, "Paddock always checks ACLs"},
	"reconfigEnabled":                    {isFalse, false, "dynamic reconfiguration is not supported yet: reconfig answers Unimplemented"},
	"standaloneEnabled":                  {isTrue, false, "a single server always runs standalone"},
	"quorumListenOnAllIPs":               {isFalse, false, "routes listen on the host of this server's server.N line"},
	"leaderServes":                       {isTrue, false, "the leader always serves clients"},
	"syncEnabled":                        {isTrue, false, "observers always keep a log and snapshots"},
	"localSessionsEnabled":               {isFalse, false, "every session is global"},
	"localSessionsUpgradingEnabled":      {isFalse, false, "every session is global"},
	"globalOutstandingLimit":             {never, false, "not enforced yet"},
	"maxCnxns":                           {never, false, "not enforced yet"},
	"clientPortListenBacklog":            {never, false, "the operating system's default backlog is used"},
	"preAllocSize":                       {never, false, "the transaction log does not preallocate"},
	"snapSizeLimitInKb":                  {never, false, "snapshots are taken every snapCount transactions only"},
	"txnLogSizeLimitInKb":                {never, false, "log files roll at each snapshot"},
	"cnxTimeout":                         {never, false, "peers connect over the bus's routes"},
	"electionPortBindRetry":              {never, false, "peers connect over the bus's routes"},
	"tcpKeepAlive":                       {never, false, "peers connect over the bus's routes"},
	"clientTcpKeepAlive":                 {never, false, "not supported"},
	"connectToLearnerMasterLimit":        {never, false, "peers connect over the bus's routes"},
	"maxResponseCacheSize":               {never, false, "there is no response cache"},
	"maxGetChildrenResponseCacheSize":    {never, false, "there is no response cache"},
	"fsync.warningthresholdms":           {never, false, "not supported"},
	"zookeeper.fsync.warningthresholdms": {never, false, "not supported"},
	"extendedTypesEnabled":               {isTrue, false, "TTL nodes are always enabled"},
	"emulate353TTLNodes":                 {isFalse, false, "not supported"},
	"readonlymode.enabled":               {isFalse, false, "read-only mode is not supported yet"},
	"initLimit.sec":                      {never, false, "not a ZooKeeper key Paddock reads"},
	"sslQuorumReloadCertFiles":           {isTrue, false, "changed PEM stores are always reloaded"},
	"client.certReload":                  {isTrue, false, "changed PEM stores are always reloaded"},
	"ssl.quorum.clientAuth": {func(v string) bool { return strings.EqualFold(v, "need") }, false,
		"routes always demand and verify a peer certificate"},
	// Exact keys go before their prefixes: these values ask for what
	// Paddock does.
	"admin.portUnification": {isFalse, false, "the AdminServer speaks plain HTTP only"},
	"admin.forceHttps": {isFalse, true, "the AdminServer speaks plain HTTP only: " +
		"bind it to loopback (admin.serverAddress) or switch it off (admin.enableServer=false)"},
	"audit.enable": {isFalse, false, "audit logging is not supported"},
}

var zooPrefixes = []struct {
	prefix string
	key    zooKey
}{
	{"admin.", zooKey{never, false, "only admin.enableServer, admin.serverAddress, admin.serverPort, admin.commandURL and " +
		"admin.idleTimeout are read"}},
	{"metricsProvider.", zooKey{never, false, "only metricsProvider.className, httpHost, httpPort and exportJvmInfo are read"}},
	{"audit.", zooKey{never, false, "audit logging is not supported"}},
	{"ssl.quorum.", zooKey{never, false, "only ssl.quorum.keyStore.location/type, ssl.quorum.trustStore.location/type and " +
		"ssl.quorum.hostnameVerification are read, with sslQuorum=true"}},
	{"ssl.", zooKey{never, false, "only ssl.keyStore.location/type, ssl.trustStore.location/type and ssl.clientAuth are read, " +
		"with secureClientPort or paddock.sslBus"}},
	{"zookeeper.ssl.", zooKey{never, false, "only ssl.keyStore.location/type, ssl.trustStore.location/type and ssl.clientAuth are read, " +
		"with secureClientPort or paddock.sslBus (and the ssl.quorum.* ones with sslQuorum=true), without the zookeeper. prefix"}},
	{"authProvider.", zooKey{never, false, "only the world, auth, digest and ip schemes are built in"}},
	{"zookeeper.authProvider.", zooKey{never, false, "only the world, auth, digest and ip schemes are built in"}},
	{"quorum.auth.", zooKey{never, false, "SASL between servers is not supported"}},
	{"multiAddress.", zooKey{never, false, "each server has one address"}},
	{"group.", zooKey{never, true, "hierarchical quorums are not supported: every server would count as one vote"}},
	{"weight.", zooKey{never, true, "hierarchical quorums are not supported: every server would count as one vote"}},
}

// lookupZooKey finds k among the recognised-but-unsupported keys.
func lookupZooKey(k string) (zooKey, bool) {
	if z, ok := zooKeys[k]; ok {
		return z, true
	}
	for _, p := range zooPrefixes {
		if strings.HasPrefix(k, p.prefix) {
			return p.key, true
		}
	}
	return zooKey{}, false
}

// unsupported warns about, or refuses, the recognised keys Paddock does
// not act on; it returns the first refusal, in line order.
func (p *parser) unsupported() error {
	keys := make([]string, 0, len(p.vals))
	for k := range p.vals {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return p.line[keys[i]] < p.line[keys[j]] })
	for _, k := range keys {
		if slices.Contains(metricsKeys, k) {
			continue // read by metrics
		}
		z, ok := lookupZooKey(k)
		if !ok || z.fine(p.vals[k]) || slices.Contains(secureKeys, k) || slices.Contains(quorumKeys, k) {
			continue
		}
		if slices.Contains(adminKeys, k) {
			continue
		}
		if z.refuse {
			return p.errf(k, "%q is not supported: %s", p.vals[k], z.why)
		}
		p.c.Warnings = append(p.c.Warnings, fmt.Sprintf("%s:%d: %s=%s is not supported and has no effect: %s",
			p.name, p.line[k], k, p.vals[k], z.why))
	}
	return nil
}
