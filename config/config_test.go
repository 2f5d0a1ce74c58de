package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const three = `# a comment
tickTime=2000
initLimit=10
syncLimit=5
dataDir=/var/lib/pdk
clientPort=2181
server.1=10.0.0.1:2888:3888
server.2=10.0.0.2:2888:3888
server.3=10.0.0.3:2888:3888;2181
`

func TestParseDefaults(t *testing.T) {
	c, err := Parse(strings.NewReader(three), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if c.TickTime != 2*time.Second || c.DataLogDir != "/var/lib/pdk" || c.MinSessionTimeout != 4*time.Second ||
		c.MaxSessionTimeout != 40*time.Second || c.SnapCount != 100000 || c.SnapRetainCount != 3 ||
		c.JuteMaxBuffer != 1<<20 || !c.ForceSync || c.Ensemble != "paddock" || !reflect.DeepEqual(c.FourLetterWords, []string{"srvr"}) {
		t.Errorf("defaults wrong: %+v", c)
	}
	if len(c.Servers) != 3 || c.Servers[2].ClientPort != 2181 || c.Servers[1].ClusterPort != 2888 || c.Servers[1].BusPort != 3888 {
		t.Errorf("servers: %+v", c.Servers)
	}
	if c.Standalone() {
		t.Error("three servers reported standalone")
	}
}

func TestParseErrors(t *testing.T) {
	base := "dataDir=/d\nclientPort=2181\n"
	tests := []struct {
		name, text, want string
	}{
		{"tick not number", "tickTime=abc\n" + base, `zoo.cfg:1: tickTime: "abc" is not a whole number of milliseconds`},
		{"tick zero", "tickTime=0\n" + base, "tickTime"},
		{"no dataDir", "clientPort=2181\n", "dataDir is required"},
		{"no clientPort", "dataDir=/d\n", "clientPort is required"},
		{"bad clientPort", "dataDir=/d\nclientPort=70000\n", "zoo.cfg:2: clientPort"},
		{"duplicate", base + "dataDir=/e\n", "zoo.cfg:3: dataDir: set again (first set on line 1)"},
		{"not kv", base + "garbage\n", `zoo.cfg:3: "garbage" is not a key=value line`},
		{"server one port", base + "initLimit=5\nsyncLimit=2\nserver.1=h:2888\nserver.2=h:2889:3889\n", "server.1: \"h:2888\" needs a host and two ports"},
		{"server id", base + "server.0=h:1:2\n", "server.0"},
		{"server id big", base + "server.300=h:1:2\n", "from 1 to 255"},
		{"server port", base + "server.1=h:x:2\n", `port "x"`},
		{"only observers", base + "server.1=h:1:2:observer\n", "needs at least one participant"},
		{"bad role", base + "server.1=h:1:2:witness\n", "want participant or observer"},
		{"bad peerType", base + "peerType=witness\nserver.1=h:1:2\n", "want participant or observer"},
		{"same ports", base + "server.1=h:1:1\n", "must differ"},
		{"dup ports", base + "initLimit=5\nsyncLimit=2\nserver.1=h:1:2\nserver.2=h:2:3\n", "also used by"},
		{"limits required", base + "server.1=h:1:2\nserver.2=h:3:4\n", "initLimit is required"},
		{"session min>max", base + "minSessionTimeout=5000\nmaxSessionTimeout=4000\n", "greater than maxSessionTimeout"},
		{"4lw", base + "4lw.commands.whitelist=srvr,nope\n", `unknown word "nope"`},
		{"forceSync", base + "forceSync=maybe\n", "want yes or no"},
		{"electionAlg", base + "electionAlg=1\n", "only 3"},
		{"ensemble", base + "paddock.ensemble=a.b\n", "paddock.ensemble"},
		{"busPort clustered", base + "initLimit=5\nsyncLimit=2\npaddock.busPort=5\nserver.1=h:1:2\nserver.2=h:3:4\n", "only for a standalone node"},
		{"advertise", base + "paddock.clusterAdvertise=nope\n", "want host:port"},
		{"peer user alone", base + "paddock.peerUser=p\n", "zoo.cfg:3: paddock.peerUser: paddock.peerPassword is required with it"},
		{"peer password alone", base + "paddock.peerPassword=x\n", "zoo.cfg:3: paddock.peerPassword: paddock.peerUser is required with it"},
		{"peer user subject", base + "paddock.peerUser=a.b\npaddock.peerPassword=x\n", `paddock.peerUser: "a.b": want 1 to 64`},
		{"peer user reserved", base + "paddock.peerUser=_node\npaddock.peerPassword=x\n", "starting with a letter or digit"},
		{"peer password space", base + "paddock.peerUser=p\npaddock.peerPassword=a b\n", "without spaces or commas"},
		{"client no password", base + "paddock.clientUsers=alice\n", `zoo.cfg:3: paddock.clientUsers: entry "alice": want user:password`},
		{"client empty password", base + "paddock.clientUsers=alice:\n", `user "alice": want a non-empty password`},
		{"client user wild", base + "paddock.clientUsers=a*:x\n", `user "a*"`},
		{"client twice", base + "paddock.clientUsers=a:x,a:y\n", `user "a" given twice`},
		{"client is peer", base + "paddock.peerUser=p\npaddock.peerPassword=x\npaddock.clientUsers=p:y\n", "also paddock.peerUser"},
		{"anonymous", base + "paddock.allowAnonymousClients=maybe\n", `paddock.allowAnonymousClients: "maybe": want true or false`},
		{"superDigest twice", base + "paddock.superDigest=u:AAAAAAAAAAAAAAAAAAAAAAAAAAA=\nDigestAuthenticationProvider.superDigest=u:AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
			"superDigest is set twice (DigestAuthenticationProvider.superDigest and paddock.superDigest)"},
		{"enforceQuota twice", base + "enforceQuota=true\nzookeeper.enforceQuota=true\n", "enforceQuota is set twice (zookeeper.enforceQuota and enforceQuota)"},
		{"enforceQuota typo", base + "zookeeper.enforceQuota=ture\n", `"ture": want true or false`},
		{"admin enable", base + "admin.enableServer=on\n", `admin.enableServer: "on": want true or false`},
		{"admin port word", base + "admin.serverPort=http\n", `zoo.cfg:3: admin.serverPort: "http" is not a whole number`},
		{"admin port range", base + "admin.serverPort=65536\n", "admin.serverPort: \"65536\" is not a whole number (want an integer from 0 to 65535)"},
		{"admin port negative", base + "admin.serverPort=-1\n", `admin.serverPort: "-1"`},
		{"admin address", base + "admin.serverAddress=not a host\n", `admin.serverAddress: "not a host" is not a host name or IP address`},
		{"admin address empty", base + "admin.serverAddress=\n", `admin.serverAddress: "" is not a host name`},
		{"admin url relative", base + "admin.commandURL=commands\n", `admin.commandURL: "commands": want a path`},
		{"admin url root", base + "admin.commandURL=/\n", `admin.commandURL: "/": want a path`},
		{"admin url dots", base + "admin.commandURL=/a/../b\n", `want a path`},
		{"admin url query", base + "admin.commandURL=/c?x=1\n", `want a path`},
		{"admin url readyz", base + "admin.commandURL=/readyz\n", "would hide the /livez and /readyz endpoints"},
		{"admin idle", base + "admin.idleTimeout=0\n", `admin.idleTimeout: "0" is not a whole number of milliseconds`},
		{"admin https", base + "admin.forceHttps=true\n", "the AdminServer speaks plain HTTP only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.text), "zoo.cfg")
			if err == nil {
				t.Fatalf("accepted:\n%s", tt.text)
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q, want it to contain %q and wrap ErrInvalid", err, tt.want)
			}
		})
	}
}

func TestCredentials(t *testing.T) {
	c, err := Parse(strings.NewReader(three+"paddock.peerUser=pdk\npaddock.peerPassword=s3cr:et=\npaddock.clientUsers=alice:a:1, bob:b\npaddock.allowAnonymousClients=yes\n"), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	want := []ClientUser{{"alice", "a:1"}, {"bob", "b"}}
	if c.PeerUser != "pdk" || c.PeerPassword != "s3cr:et=" || !reflect.DeepEqual(c.ClientUsers, want) || !c.AllowAnonymousClients || len(c.Warnings) != 0 {
		t.Fatalf("credentials: %+v", c)
	}
	if err := c.CheckBus(); err != nil {
		t.Fatal(err)
	}
}

func TestCheckBus(t *testing.T) {
	const peer = "paddock.peerUser=pdk\npaddock.peerPassword=x\n"
	tests := []struct {
		name, text, want string
	}{
		{"standalone open", "dataDir=/d\nclientPort=1\n", ""},
		{"standalone peer only", "dataDir=/d\nclientPort=1\n" + peer, ""},
		{"standalone clients only", "dataDir=/d\nclientPort=1\npaddock.clientUsers=a:b\n", ""},
		{"ensemble plain", three, ""},
		{"ensemble anonymous but no peer", three + "paddock.allowAnonymousClients=true\n", "need paddock.peerUser and paddock.peerPassword as well"},
		{"ensemble clients but no peer", three + "paddock.clientUsers=a:b\n", "need paddock.peerUser"},
		{"ensemble no clients", three + peer, ""},
		{"ensemble clients", three + peer + "paddock.clientUsers=a:b\n", ""},
		{"ensemble anonymous", three + peer + "paddock.allowAnonymousClients=true\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tt.text), "zoo.cfg")
			if err != nil {
				t.Fatal(err)
			}
			err = c.CheckBus()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want == "":
			case err == nil:
				t.Fatalf("accepted:\n%s", tt.text)
			case !errors.Is(err, ErrOpenBus) || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "zoo.cfg"):
				t.Fatalf("error %q, want it to name zoo.cfg, contain %q and wrap ErrOpenBus and ErrInvalid", err, tt.want)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	c, err := Parse(strings.NewReader("dataDir=/d\nclientPort=1\nfoo=bar\nadmin.httpVersion=11\nautopurge.snapRetainCount=1\n"), "z")
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(c.Warnings, "\n")
	if !strings.Contains(w, `z:3: unknown key "foo" ignored`) || !strings.Contains(w, "z:4: admin.httpVersion=11 is not supported") ||
		!strings.Contains(w, "raised to the minimum 3") {
		t.Errorf("warnings: %q", w)
	}
	if c.SnapRetainCount != 3 || c.BusPort != 10001 || !c.Standalone() {
		t.Errorf("standalone config: %+v", c)
	}
}

// TestBusModes: which bus each credential setting gives, and the one
// warning a node logs about it.
func TestBusModes(t *testing.T) {
	const peer = "paddock.peerUser=pdk\npaddock.peerPassword=x\n"
	for _, tt := range []struct {
		name, text string
		closed     bool
		warning    string
	}{
		{"standalone open", "dataDir=/d\nclientPort=1\n", false, "the bus is open"},
		{"standalone peer only", "dataDir=/d\nclientPort=1\n" + peer, true, "no client credentials"},
		{"ensemble plain", three, true, "no Paddock credentials: the bus admits no native client"},
		{"ensemble plain with sslQuorum", three + "sslQuorum=true\nssl.quorum.keyStore.location=/q\nssl.quorum.trustStore.location=/c\n",
			true, "(the routes are authenticated by sslQuorum's certificates)"},
		{"ensemble peer only", three + peer, true, "set paddock.clientUsers"},
		{"ensemble clients", three + peer + "paddock.clientUsers=a:b\n", false, ""},
		{"ensemble anonymous", three + peer + "paddock.allowAnonymousClients=true\n", false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tt.text), "zoo.cfg")
			if err != nil {
				t.Fatal(err)
			}
			w := c.BusWarning()
			if c.ClosedBus() != tt.closed || (tt.warning == "") != (w == "") || !strings.Contains(w, tt.warning) {
				t.Fatalf("closed %v, warning %q; want %v and %q", c.ClosedBus(), w, tt.closed, tt.warning)
			}
		})
	}
}

// TestUnsupportedKeys: ZooKeeper keys Paddock does not act on are never
// silently ignored; values that ask for what Paddock does anyway pass
// quietly; keys whose loss would weaken security or change quorums refuse.
func TestUnsupportedKeys(t *testing.T) {
	base := "dataDir=/d\nclientPort=2181\n"
	for _, tt := range []struct {
		line, warn, refuse string
	}{
		{"admin.enableServer=false", "", ""},
		{"admin.enableServer=true", "", ""},
		{"admin.serverPort=8080", "", ""},
		{"admin.serverAddress=0.0.0.0", "", ""},
		{"admin.commandURL=/zk/commands", "", ""},
		{"admin.idleTimeout=5000", "", ""},
		{"admin.portUnification=false", "", ""},
		{"admin.portUnification=true", "admin.portUnification=true is not supported and has no effect: the AdminServer speaks plain HTTP only", ""},
		{"admin.httpVersion=11", "admin.httpVersion=11 is not supported and has no effect: only admin.enableServer,", ""},
		{"admin.forceHttps=true", "", "the AdminServer speaks plain HTTP only"},
		{"metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider", "", ""},
		{"metricsProvider.httpPort=7000", "metricsProvider.httpPort has no effect without metricsProvider.className=", ""},
		{"metricsProvider.maxQueueSize=10", "metricsProvider.maxQueueSize=10 is not supported", ""},
		{"skipACL=no", "", ""},
		{"skipACL=yes", "skipACL=yes is not supported and has no effect: Paddock always checks ACLs", ""},
		{"audit.enable=true", "audit.enable=true is not supported", ""},
		{"reconfigEnabled=false", "", ""},
		{"reconfigEnabled=true", "reconfigEnabled=true is not supported", ""},
		{"standaloneEnabled=true", "", ""},
		{"preAllocSize=65536", "preAllocSize=65536 is not supported", ""},
		{"ssl.keyStore.location=/k.pem", "ssl.keyStore.location has no effect without secureClientPort or paddock.sslBus", ""},
		{"ssl.quorum.keyStore.location=/k.pem", "ssl.quorum.keyStore.location has no effect without sslQuorum=true", ""},
		{"ssl.quorum.protocol=TLSv1.3", "ssl.quorum.protocol=TLSv1.3 is not supported", ""},
		{"ssl.quorum.clientAuth=need", "", ""},
		{"ssl.quorum.clientAuth=none", "ssl.quorum.clientAuth=none is not supported and has no effect: routes always demand", ""},
		{"sslQuorumReloadCertFiles=false", "sslQuorumReloadCertFiles=false is not supported and has no effect: changed PEM stores are always reloaded", ""},
		{"sslQuorumReloadCertFiles=true", "", ""},
		{"extendedTypesEnabled=true", "", ""},
		{"secureClientPort=2281", "", "zoo.cfg:3: secureClientPort: needs ssl.keyStore.location"},
		{"sslQuorum=true", "", "zoo.cfg:3: sslQuorum: needs ssl.quorum.keyStore.location"},
		{"sslQuorum=maybe", "", `sslQuorum: "maybe": want true or false`},
		{"sslQuorum=false", "", ""},
		{"quorum.auth.enableSasl=true", "", "SASL between servers"},
		{"enforce.auth.enabled=true", "", "unauthenticated clients would be let in"},
		{"weight.1=2", "", "hierarchical quorums"},
	} {
		t.Run(tt.line, func(t *testing.T) {
			c, err := Parse(strings.NewReader(base+tt.line+"\n"), "zoo.cfg")
			if tt.refuse != "" {
				if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.refuse) {
					t.Fatalf("error %v, want one containing %q", err, tt.refuse)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := strings.Join(c.Warnings, "\n")
			if tt.warn == "" && w != "" || tt.warn != "" && (len(c.Warnings) != 1 || !strings.Contains(w, "zoo.cfg:3: "+tt.warn)) {
				t.Fatalf("warnings %q, want exactly one with %q", w, tt.warn)
			}
		})
	}
}

// TestSecureClientPort: ZooKeeper's TLS keys, PEM stores only.
func TestSecureClientPort(t *testing.T) {
	base := "dataDir=/d\nclientPort=2181\nclientPortAddress=127.0.0.1\nsecureClientPort=2281\nssl.keyStore.location=/k.pem\n"
	c, err := Parse(strings.NewReader(base+"ssl.trustStore.location=/ca.pem\nssl.keyStore.type=PEM\n"), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if c.SecureClientPort != 2281 || c.SecureClientPortAddress != "127.0.0.1" || c.SSLKeyStore != "/k.pem" ||
		c.SSLTrustStore != "/ca.pem" || c.SSLClientAuth != "need" || len(c.Warnings) != 0 {
		t.Fatalf("secure config: %+v", c)
	}
	for _, tt := range []struct{ extra, want string }{
		{"ssl.keyStore.type=JKS\n", "only PEM stores"},
		{"ssl.keyStore.password=x\n", "encrypted PEM stores are not supported"},
		{"ssl.clientAuth=maybe\n", `"maybe": want none, want or need`},
		{"secureClientPortAddress=a b\n", "is not a host name"},
	} {
		if _, err := Parse(strings.NewReader(base+tt.extra), "zoo.cfg"); err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error with %q", tt.extra, err, tt.want)
		}
	}
	if _, err := Parse(strings.NewReader(strings.Replace(base, "2281", "2181", 1)), "zoo.cfg"); err == nil {
		t.Error("secureClientPort equal to clientPort accepted")
	}
}

// TestSSLQuorum: ZooKeeper's quorum TLS keys, PEM stores only, both
// required; hostname verification on unless turned off.
func TestSSLQuorum(t *testing.T) {
	base := "initLimit=10\nsyncLimit=5\ndataDir=/d\nclientPort=2181\nserver.1=10.0.0.1:2888:3888\nserver.2=10.0.0.2:2888:3888\n" +
		"sslQuorum=true\nssl.quorum.keyStore.location=/q.pem\n"
	c, err := Parse(strings.NewReader(base+"ssl.quorum.trustStore.location=/qca.pem\nssl.quorum.keyStore.type=pem\nssl.quorum.clientAuth=need\n"), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if !c.SSLQuorum || c.SSLQuorumKeyStore != "/q.pem" || c.SSLQuorumTrustStore != "/qca.pem" || !c.SSLQuorumHostnameVerification || len(c.Warnings) != 0 {
		t.Fatalf("quorum TLS config: %+v", c)
	}
	c, err = Parse(strings.NewReader(base+"ssl.quorum.trustStore.location=/qca.pem\nssl.quorum.hostnameVerification=false\n"), "zoo.cfg")
	if err != nil || c.SSLQuorumHostnameVerification {
		t.Fatalf("hostnameVerification=false: %v %+v", err, c)
	}
	for _, tt := range []struct{ extra, want string }{
		{"", "zoo.cfg:7: sslQuorum: needs ssl.quorum.trustStore.location"},
		{"ssl.quorum.trustStore.location=/qca.pem\nssl.quorum.keyStore.type=JKS\n", `ssl.quorum.keyStore.type: "JKS": only PEM stores`},
		{"ssl.quorum.trustStore.location=/qca.pem\nssl.quorum.trustStore.type=PKCS12\n", "ssl.quorum.trustStore.type"},
		{"ssl.quorum.trustStore.location=/qca.pem\nssl.quorum.keyStore.password=x\n", "ssl.quorum.keyStore.password: encrypted PEM stores are not supported"},
		{"ssl.quorum.trustStore.location=/qca.pem\nssl.quorum.trustStore.password=x\n", "ssl.quorum.trustStore.password: encrypted"},
		{"ssl.quorum.trustStore.location=/qca.pem\nssl.quorum.hostnameVerification=off\n", `ssl.quorum.hostnameVerification: "off": want true or false`},
	} {
		if _, err := Parse(strings.NewReader(base+tt.extra), "zoo.cfg"); err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want an error with %q", tt.extra, err, tt.want)
		}
	}
	// A standalone node has no routes to secure.
	c, err = Parse(strings.NewReader("dataDir=/d\nclientPort=2181\nsslQuorum=true\nssl.quorum.keyStore.location=/q.pem\nssl.quorum.trustStore.location=/qca.pem\n"), "zoo.cfg")
	if err != nil || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "zoo.cfg:3: sslQuorum=true has no effect on a standalone node") {
		t.Fatalf("standalone with sslQuorum: %v %q", err, c.Warnings)
	}
}

// TestSSLBus: paddock.sslBus reads the client-facing ssl.* stores, with
// or without secureClientPort.
func TestSSLBus(t *testing.T) {
	base := "dataDir=/d\nclientPort=2181\npaddock.sslBus=true\n"
	c, err := Parse(strings.NewReader(base+"ssl.keyStore.location=/k.pem\nssl.trustStore.location=/ca.pem\nssl.clientAuth=want\n"), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if !c.SSLBus || c.SecureClientPort != 0 || c.SSLKeyStore != "/k.pem" || c.SSLTrustStore != "/ca.pem" || c.SSLClientAuth != "want" || len(c.Warnings) != 0 {
		t.Fatalf("bus TLS config: %+v", c)
	}
	c, err = Parse(strings.NewReader(base+"ssl.keyStore.location=/k.pem\nsecureClientPortAddress=127.0.0.1\n"), "zoo.cfg")
	if err != nil || c.SSLClientAuth != "need" || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "secureClientPortAddress has no effect without secureClientPort") {
		t.Fatalf("bus TLS without secureClientPort: %v %+v", err, c)
	}
	for _, tt := range []struct{ extra, want string }{
		{"", "zoo.cfg:3: paddock.sslBus: needs ssl.keyStore.location"},
		{"ssl.keyStore.location=/k.pem\nssl.keyStore.type=JKS\n", "only PEM stores"},
		{"ssl.keyStore.location=/k.pem\nssl.trustStore.password=x\n", "encrypted PEM stores are not supported"},
		{"ssl.keyStore.location=/k.pem\nssl.clientAuth=always\n", `"always": want none, want or need`},
	} {
		if _, err := Parse(strings.NewReader(base+tt.extra), "zoo.cfg"); err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want an error with %q", tt.extra, err, tt.want)
		}
	}
	if _, err := Parse(strings.NewReader("dataDir=/d\nclientPort=2181\npaddock.sslBus=sure\n"), "zoo.cfg"); err == nil ||
		!strings.Contains(err.Error(), `paddock.sslBus: "sure": want true or false`) {
		t.Errorf("paddock.sslBus=sure: %v", err)
	}
	c, err = Parse(strings.NewReader("dataDir=/d\nclientPort=2181\npaddock.sslBus=false\nssl.keyStore.location=/k.pem\n"), "zoo.cfg")
	if err != nil || c.SSLBus || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "without secureClientPort or paddock.sslBus") {
		t.Fatalf("paddock.sslBus=false: %v %+v", err, c)
	}
}

// TestTLSRoundTrip: Write keeps every TLS setting.
func TestTLSRoundTrip(t *testing.T) {
	for _, text := range []string{
		"dataDir=/d\nclientPort=2181\nsecureClientPort=2281\nsecureClientPortAddress=10.1.1.1\nssl.keyStore.location=/k.pem\n",
		"dataDir=/d\nclientPort=2181\npaddock.sslBus=true\nssl.keyStore.location=/k.pem\nssl.trustStore.location=/ca.pem\nssl.clientAuth=none\n",
		"initLimit=10\nsyncLimit=5\ndataDir=/d\nclientPort=2181\nserver.1=h1:2888:3888\nserver.2=h2:2888:3888\nsslQuorum=true\n" +
			"ssl.quorum.keyStore.location=/q.pem\nssl.quorum.trustStore.location=/qca.pem\nssl.quorum.hostnameVerification=false\n",
	} {
		c, err := Parse(strings.NewReader(text), "zoo.cfg")
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := Write(&b, c); err != nil {
			t.Fatal(err)
		}
		c2, err := Parse(&b, "zoo.cfg")
		if err != nil {
			t.Fatalf("%v\n%s", err, b.String())
		}
		c.Warnings, c2.Warnings = nil, nil
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip differs:\n%+v\n%+v\n%s", c, c2, b.String())
		}
	}
}

// TestDynamicConfigFile: the server lines may live in ZooKeeper 3.5+'s
// dynamic configuration file, relative to zoo.cfg's directory.
func TestDynamicConfigFile(t *testing.T) {
	dir := t.TempDir()
	static := "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/d\nclientPort=2181\ndynamicConfigFile=zoo.cfg.dynamic\n"
	dyn := "server.1=10.0.0.1:2888:3888:participant;2181\nserver.2=10.0.0.2:2888:3888\nserver.3=10.0.0.3:2888:3888\nversion=100000000\n"
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("zoo.cfg.dynamic", dyn)
	f, err := os.Open(write("zoo.cfg", static))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := Parse(f, filepath.Join(dir, "zoo.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Servers) != 3 || c.Servers[0].ClientPort != 2181 || c.ConfigVersion != 0x100000000 || len(c.Warnings) != 0 {
		t.Fatalf("servers %+v version %x warnings %q", c.Servers, c.ConfigVersion, c.Warnings)
	}
	if zc := string(c.ZKConfig()); !strings.HasPrefix(zc, "server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181\n") ||
		!strings.HasSuffix(zc, "\nversion=100000000") {
		t.Errorf("/zookeeper/config from a dynamic file:\n%s", zc)
	}
	for _, tt := range []struct{ static, dyn, want string }{
		{static + "server.4=10.0.0.4:2888:3888\n", dyn, "server lines belong in dynamicConfigFile"},
		{static, dyn + "tickTime=5\n", "zoo.cfg.dynamic:5: tickTime: a dynamic configuration file holds only server.N lines and version"},
		{static, dyn + "weight.1=3\n", "hierarchical quorums"},
		{static, "server.1=nope\n", "zoo.cfg.dynamic:1: server.1"},
		{strings.Replace(static, "zoo.cfg.dynamic", "missing", 1), dyn, "dynamicConfigFile"},
	} {
		write("zoo.cfg.dynamic", tt.dyn)
		_, err := Parse(strings.NewReader(tt.static), filepath.Join(dir, "zoo.cfg"))
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("error %v, want one containing %q", err, tt.want)
		}
	}
}

func TestMyID(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(dir, "myid"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	parse := func() (*Config, error) {
		text := strings.Replace(three, "/var/lib/pdk", dir, 1)
		p := filepath.Join(dir, "zoo.cfg")
		os.WriteFile(p, []byte(text), 0o644)
		return Load(p)
	}
	if _, err := parse(); err == nil || !strings.Contains(err.Error(), "needs myid") {
		t.Errorf("missing myid: %v", err)
	}
	write("x\n")
	if _, err := parse(); err == nil || !strings.Contains(err.Error(), `"x" is not a server id`) {
		t.Errorf("garbage myid: %v", err)
	}
	write("7\n")
	if _, err := parse(); err == nil || !strings.Contains(err.Error(), "matches no server.N line") {
		t.Errorf("unknown myid: %v", err)
	}
	write(" 2 \n")
	c, err := parse()
	if err != nil {
		t.Fatal(err)
	}
	if c.MyID != 2 || c.BusHost != "10.0.0.2" || c.BusPort != 3888 || c.ClusterPort != 2888 || len(c.Peers()) != 2 {
		t.Errorf("self: %+v peers %+v", c, c.Peers())
	}
}

// TestAdminServerKeys: ZooKeeper's admin.* keys with Paddock's defaults
// (loopback, not ZooKeeper's 0.0.0.0) and as set.
func TestAdminServerKeys(t *testing.T) {
	base := "dataDir=/d\nclientPort=2181\n"
	for _, tt := range []struct {
		name, text string
		want       AdminServer
		addr       string
	}{
		{"defaults", base, AdminServer{Enabled: true, Address: "127.0.0.1", Port: 8080, CommandURL: "/commands", IdleTimeout: 30 * time.Second},
			"127.0.0.1:8080"},
		{"off", base + "admin.enableServer=false\n", AdminServer{Address: "127.0.0.1", Port: 8080, CommandURL: "/commands", IdleTimeout: 30 * time.Second},
			"127.0.0.1:8080"},
		{"set", base + "admin.enableServer=yes\nadmin.serverAddress=0.0.0.0\nadmin.serverPort=9090\nadmin.commandURL=/zk/cmds/\nadmin.idleTimeout=1500\n",
			AdminServer{Enabled: true, Address: "0.0.0.0", Port: 9090, CommandURL: "/zk/cmds", IdleTimeout: 1500 * time.Millisecond}, "0.0.0.0:9090"},
		{"ipv6 and any port", base + "admin.serverAddress=[::1]\nadmin.serverPort=0\n",
			AdminServer{Enabled: true, Address: "[::1]", Port: 0, CommandURL: "/commands", IdleTimeout: 30 * time.Second}, "[::1]:0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tt.text), "zoo.cfg")
			if err != nil {
				t.Fatal(err)
			}
			if c.Admin != tt.want || c.Admin.Addr() != tt.addr || len(c.Warnings) != 0 {
				t.Fatalf("admin %+v (%s), warnings %q; want %+v (%s)", c.Admin, c.Admin.Addr(), c.Warnings, tt.want, tt.addr)
			}
			var b bytes.Buffer
			if err := Write(&b, c); err != nil {
				t.Fatal(err)
			}
			c2, err := Parse(&b, "zoo.cfg")
			if err != nil || c2.Admin != c.Admin {
				t.Fatalf("round trip: %+v, %v\n%s", c2, err, b.String())
			}
		})
	}
}

func TestLocalEnsembleRoundTrip(t *testing.T) {
	paths, err := LocalEnsemble(t.TempDir(), 3, 30000)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		c, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if int(c.MyID) != i+1 || c.ClientPort != 30000+i || c.BusPort != 30200+i || c.ClusterPort != 30100+i ||
			!c.Admin.Enabled || c.Admin.Addr() != fmt.Sprintf("127.0.0.1:%d", 30300+i) {
			t.Errorf("node %d: %+v", i+1, c)
		}
		var b bytes.Buffer
		if err := Write(&b, c); err != nil {
			t.Fatal(err)
		}
		c2, err := Parse(&b, p)
		if err != nil {
			t.Fatal(err)
		}
		c2.MyID, c2.BusHost, c2.BusPort, c2.ClusterPort = c.MyID, c.BusHost, c.BusPort, c.ClusterPort
		if !reflect.DeepEqual(c, c2) {
			t.Errorf("round trip differs:\n%+v\n%+v", c, c2)
		}
		if err := c.CheckBus(); err != nil || c.PeerUser == "" || len(c.ClientUsers) != 1 || c.PeerPassword == c.ClientUsers[0].Password {
			t.Errorf("node %d credentials: %v %+v", i+1, err, c)
		}
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("node %d config mode: %v %v", i+1, st.Mode(), err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(three)
	f.Add("dataDir=/d\nclientPort=1\n4lw.commands.whitelist=*\n")
	f.Add("server.1=h:1:2;3\nserver.2=h:4:5;h:6\n")
	f.Add("dataDir=/d\nclientPort=1\npaddock.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=\n")
	f.Add("dataDir=/d\nclientPort=1\npaddock.peerUser=p\npaddock.peerPassword=x:y\npaddock.clientUsers=a:b, c:d:e\npaddock.allowAnonymousClients=true\n")
	f.Add("initLimit=1\nsyncLimit=1\ndataDir=/d\nclientPort=1\nsecureClientPort=2\npaddock.sslBus=yes\nssl.keyStore.location=/k\nssl.clientAuth=want\n" +
		"server.1=h:1:2\nserver.2=h:3:4\nsslQuorum=true\nssl.quorum.keyStore.location=/q\nssl.quorum.trustStore.location=/c\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(strings.NewReader(s), "fuzz")
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := Write(&b, c); err != nil {
			t.Fatal(err)
		}
		c2, err := Parse(&b, "fuzz")
		if err != nil {
			t.Fatalf("rendered config does not parse: %v\n%s", err, b.String())
		}
		c.Warnings, c2.Warnings = nil, nil
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip differs:\n%+v\n%+v\n%s", c, c2, b.String())
		}
	})
}

func TestOneServerLineIsStandalone(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "zoo.cfg")
	os.WriteFile(p, []byte("dataDir="+dir+"\nclientPort=2181\nserver.4=127.0.0.1:2888:3888\n"), 0o644)
	c, err := Load(p) // no myid needed for one server
	if err != nil {
		t.Fatal(err)
	}
	if !c.Standalone() || c.MyID != 4 || c.BusPort != 3888 || c.ClusterPort != 0 || len(c.Peers()) != 0 {
		t.Fatalf("one server line: standalone=%v %+v", c.Standalone(), c)
	}
}

func TestSuperDigest(t *testing.T) {
	const d = "super:D/InIHSb7yEEbrWz8b9l71RjZJU=" // super:test
	for _, k := range []string{"paddock.superDigest", "DigestAuthenticationProvider.superDigest", "zookeeper.DigestAuthenticationProvider.superDigest"} {
		c, err := Parse(strings.NewReader("dataDir=/d\nclientPort=1\n"+k+"="+d+"\n"), "zoo.cfg")
		if err != nil || c.SuperDigest != d || len(c.Warnings) != 0 {
			t.Fatalf("%s: %v %q %v", k, err, c.SuperDigest, c.Warnings)
		}
	}
	for _, bad := range []string{
		"paddock.superDigest=super\n",
		"paddock.superDigest=super:test\n",
		"paddock.superDigest=:D/InIHSb7yEEbrWz8b9l71RjZJU=\n",
		"paddock.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZ=\n",
		"paddock.superDigest=a:b:D/InIHSb7yEEbrWz8b9l71RjZJU=\n",
		"paddock.superDigest=" + d + "\nDigestAuthenticationProvider.superDigest=" + d + "\n",
	} {
		if _, err := Parse(strings.NewReader("dataDir=/d\nclientPort=1\n"+bad), "zoo.cfg"); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestEnforceQuota(t *testing.T) {
	for _, tt := range []struct {
		lines string
		want  bool
	}{
		{"", false},
		{"zookeeper.enforceQuota=true\n", true},
		{"enforceQuota=TRUE\n", true},
		{"zookeeper.enforceQuota=false\n", false},
	} {
		c, err := Parse(strings.NewReader("dataDir=/d\nclientPort=1\n"+tt.lines), "zoo.cfg")
		if err != nil || c.EnforceQuota != tt.want || len(c.Warnings) != 0 {
			t.Fatalf("%q: %v %v %v", tt.lines, err, c.EnforceQuota, c.Warnings)
		}
		var buf bytes.Buffer
		if err := Write(&buf, c); err != nil {
			t.Fatal(err)
		}
		c2, err := Parse(&buf, "again")
		if err != nil || c2.EnforceQuota != tt.want {
			t.Fatalf("%q written and read again: %v %v", tt.lines, err, c2.EnforceQuota)
		}
	}
	for _, bad := range []string{"enforceQuota=yes\n", "zookeeper.enforceQuota=true\nenforceQuota=true\n"} {
		if _, err := Parse(strings.NewReader("dataDir=/d\nclientPort=1\n"+bad), "zoo.cfg"); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// ZKConfig is what Apache ZooKeeper 3.8 shows in /zookeeper/config for
// the same server lines (checked against a live 3-node ensemble with
// reconfigEnabled=false), whatever their order in the file.
func TestZKConfig(t *testing.T) {
	c, err := Parse(strings.NewReader("initLimit=10\nsyncLimit=5\ndataDir=/d\nclientPort=2181\n"+
		"server.3=127.0.0.1:23883:23893;127.0.0.1:22184\nserver.1=127.0.0.1:23881:23891\n"+
		"server.2=127.0.0.1:23882:23892:participant;2182\nserver.4=127.0.0.1:23884:23894;[::1]:22185\n"), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	want := "server.1=127.0.0.1:23881:23891:participant\n" +
		"server.2=127.0.0.1:23882:23892:participant;0.0.0.0:2182\n" +
		"server.3=127.0.0.1:23883:23893:participant;127.0.0.1:22184\n" +
		"server.4=127.0.0.1:23884:23894:participant;[::1]:22185\n" +
		"version=0"
	if got := string(c.ZKConfig()); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	one, err := Parse(strings.NewReader("dataDir=/d\nclientPort=2181\nserver.1=127.0.0.1:23881:23891\n"), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if got := one.ZKConfig(); got != nil {
		t.Fatalf("standalone: %q", got)
	}
}

// TestRedactSecrets: initial_configuration shows the file without its
// passwords and digests, everything else as written.
func TestRedactSecrets(t *testing.T) {
	in := "# comment: password=visible-in-comments-is-fine\n" +
		"tickTime=2000\n" +
		"paddock.peerPassword = s3cret\n" +
		"paddock.clientUsers=alice:a1, bob:b:2\r\n" +
		"ssl.keyStore.password: ks\n" +
		"paddock.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=\n" +
		"server.1=10.0.0.1:2888:3888\n" +
		"paddock.peerUser=peer"
	want := "# comment: password=visible-in-comments-is-fine\n" +
		"tickTime=2000\n" +
		"paddock.peerPassword =********\n" +
		"paddock.clientUsers=alice:********,bob:********\r\n" +
		"ssl.keyStore.password:********\n" +
		"paddock.superDigest=super:********\n" +
		"server.1=10.0.0.1:2888:3888\n" +
		"paddock.peerUser=peer"
	if got := RedactSecrets(in); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestObservers: server lines with the observer role, peerType, and what
// the ensemble's quorum and /zookeeper/config make of them.
func TestObservers(t *testing.T) {
	dir := t.TempDir()
	text := "tickTime=2000\ninitLimit=5\nsyncLimit=2\nclientPort=2181\ndataDir=" + dir + "\npeerType=participant\n" +
		"server.1=h1:2888:3888\nserver.2=h2:2888:3888:participant\nserver.3=h3:2888:3888\nserver.4=h4:2888:3888:observer;2181\n"
	p := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		myid     string
		observer bool
		warn     bool
	}{{"1", false, false}, {"4", true, true}} {
		if err := os.WriteFile(filepath.Join(dir, "myid"), []byte(tt.myid), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(c.Voters(), c.Observers()); got != "[1 2 3] [4]" {
			t.Errorf("voters and observers %s", got)
		}
		if c.IsObserver() != tt.observer {
			t.Errorf("myid %s: IsObserver %v", tt.myid, c.IsObserver())
		}
		warned := strings.Contains(strings.Join(c.Warnings, "\n"), "does not match peerType (participant)")
		if warned != tt.warn {
			t.Errorf("myid %s: warnings %q", tt.myid, c.Warnings)
		}
		want := "server.1=h1:2888:3888:participant\nserver.2=h2:2888:3888:participant\nserver.3=h3:2888:3888:participant\n" +
			"server.4=h4:2888:3888:observer;0.0.0.0:2181\nversion=0"
		if got := string(c.ZKConfig()); got != want {
			t.Errorf("ZKConfig\n%s\nwant\n%s", got, want)
		}
	}
}
