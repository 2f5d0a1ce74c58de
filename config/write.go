package config

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/paddock-zk/paddock/actors/msg"
)

// Write renders c as zoo.cfg text that Parse reads back to an equal Config
// (apart from Path, MyID, Warnings and the derived bus fields).
func Write(w io.Writer, c *Config) error {
	var b strings.Builder
	fmt.Fprintf(&b, "tickTime=%d\n", c.TickTime.Milliseconds())
	fmt.Fprintf(&b, "initLimit=%d\nsyncLimit=%d\n", c.InitLimit, c.SyncLimit)
	fmt.Fprintf(&b, "dataDir=%s\n", c.DataDir)
	if c.DataLogDir != "" && c.DataLogDir != c.DataDir {
		fmt.Fprintf(&b, "dataLogDir=%s\n", c.DataLogDir)
	}
	fmt.Fprintf(&b, "clientPort=%d\n", c.ClientPort)
	if c.ClientPortAddress != "" && c.ClientPortAddress != "0.0.0.0" {
		fmt.Fprintf(&b, "clientPortAddress=%s\n", c.ClientPortAddress)
	}
	fmt.Fprintf(&b, "maxClientCnxns=%d\n", c.MaxClientCnxns)
	fmt.Fprintf(&b, "minSessionTimeout=%d\nmaxSessionTimeout=%d\n", c.MinSessionTimeout.Milliseconds(), c.MaxSessionTimeout.Milliseconds())
	fmt.Fprintf(&b, "snapCount=%d\n", c.SnapCount)
	fmt.Fprintf(&b, "autopurge.snapRetainCount=%d\nautopurge.purgeInterval=%d\n", c.SnapRetainCount, int(c.PurgeInterval.Hours()))
	fmt.Fprintf(&b, "jute.maxbuffer=%d\n", c.JuteMaxBuffer)
	if c.ForceSync {
		b.WriteString("forceSync=yes\n")
	} else {
		b.WriteString("forceSync=no\n")
	}
	// Always written: an empty allow-list (no words) differs from the default.
	fmt.Fprintf(&b, "4lw.commands.whitelist=%s\n", strings.Join(c.FourLetterWords, ","))
	fmt.Fprintf(&b, "paddock.ensemble=%s\n", c.Ensemble)
	if c.ClusterAdvertise != "" {
		fmt.Fprintf(&b, "paddock.clusterAdvertise=%s\n", c.ClusterAdvertise)
	}
	if c.PeerUser != "" {
		fmt.Fprintf(&b, "paddock.peerUser=%s\npaddock.peerPassword=%s\n", c.PeerUser, c.PeerPassword)
	}
	if len(c.ClientUsers) > 0 {
		users := make([]string, len(c.ClientUsers))
		for i, u := range c.ClientUsers {
			users[i] = u.User + ":" + u.Password
		}
		fmt.Fprintf(&b, "paddock.clientUsers=%s\n", strings.Join(users, ","))
	}
	if c.AllowAnonymousClients {
		b.WriteString("paddock.allowAnonymousClients=true\n")
	}
	if c.SuperDigest != "" {
		fmt.Fprintf(&b, "paddock.superDigest=%s\n", c.SuperDigest)
	}
	if c.EnforceQuota {
		b.WriteString("zookeeper.enforceQuota=true\n")
	}
	if c.SecureClientPort != 0 {
		fmt.Fprintf(&b, "secureClientPort=%d\n", c.SecureClientPort)
		if c.SecureClientPortAddress != "" && c.SecureClientPortAddress != c.ClientPortAddress {
			fmt.Fprintf(&b, "secureClientPortAddress=%s\n", c.SecureClientPortAddress)
		}
	}
	if c.SSLBus {
		b.WriteString("paddock.sslBus=true\n")
	}
	if c.SecureClientPort != 0 || c.SSLBus {
		fmt.Fprintf(&b, "ssl.keyStore.location=%s\nssl.clientAuth=%s\n", c.SSLKeyStore, c.SSLClientAuth)
		if c.SSLTrustStore != "" {
			fmt.Fprintf(&b, "ssl.trustStore.location=%s\n", c.SSLTrustStore)
		}
	}
	if c.SSLQuorum {
		fmt.Fprintf(&b, "sslQuorum=true\nssl.quorum.keyStore.location=%s\nssl.quorum.trustStore.location=%s\nssl.quorum.hostnameVerification=%t\n",
			c.SSLQuorumKeyStore, c.SSLQuorumTrustStore, c.SSLQuorumHostnameVerification)
	}
	if m := c.Metrics; m.Enabled {
		fmt.Fprintf(&b, "metricsProvider.className=%s\nmetricsProvider.httpHost=%s\nmetricsProvider.httpPort=%d\nmetricsProvider.exportJvmInfo=%t\n",
			PrometheusMetricsProvider, m.Host, m.Port, m.Runtime)
	}
	writeAdmin(&b, c)
	if len(c.Servers) == 0 && c.BusPort != 0 {
		fmt.Fprintf(&b, "paddock.busPort=%d\n", c.BusPort)
	}
	for _, s := range c.Servers {
		fmt.Fprintf(&b, "server.%d=%s:%d:%d", s.ID, s.Host, s.ClusterPort, s.BusPort)
		if s.ClientPort != 0 {
			b.WriteString(";")
			if s.ClientHost != "" {
				b.WriteString(s.ClientHost + ":")
			}
			fmt.Fprintf(&b, "%d", s.ClientPort)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// LocalEnsemble writes an n-node ensemble on 127.0.0.1 under dir:
// dir/node<i>/zoo.cfg and dir/node<i>/data/myid. Node i (from 1) listens for
// clients on 127.0.0.1:basePort+i-1 (answering only the four-letter word
// srvr, which node status and the walkthrough ask), for routes on basePort+100+i-1, for bus
// clients on basePort+200+i-1 and with its AdminServer on
// 127.0.0.1:basePort+300+i-1. Every node gets the same fresh random
// credentials: peer user "peer" and client user "client" (see the package
// doc); the files are readable by their owner only. It returns the config
// paths in id order.
func LocalEnsemble(dir string, n, basePort int) ([]string, error) {
	if n < 1 || n > MaxServerID {
		return nil, fmt.Errorf("config: local ensemble of %d nodes: want 1 to %d: %w", n, MaxServerID, ErrInvalid)
	}
	if basePort < 1 || basePort+300+n-1 > 65535 {
		return nil, fmt.Errorf("config: base port %d: the layout needs ports up to base+%d within 1..65535: %w", basePort, 300+n-1, ErrInvalid)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	peerPw, err := randomPassword()
	if err != nil {
		return nil, err
	}
	clientPw, err := randomPassword()
	if err != nil {
		return nil, err
	}
	var servers []Server
	if n > 1 {
		for i := 1; i <= n; i++ {
			servers = append(servers, Server{ID: idOf(i), Host: "127.0.0.1", ClusterPort: basePort + 100 + i - 1, BusPort: basePort + 200 + i - 1})
		}
	}
	var paths []string
	for i := 1; i <= n; i++ {
		nodeDir := filepath.Join(abs, fmt.Sprintf("node%d", i))
		data := filepath.Join(nodeDir, "data")
		if err := os.MkdirAll(data, 0o755); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		c := &Config{
			TickTime: 2000 * time.Millisecond, InitLimit: 10, SyncLimit: 5, DataDir: data, DataLogDir: data,
			ClientPort: basePort + i - 1, ClientPortAddress: "127.0.0.1", MaxClientCnxns: 60,
			MinSessionTimeout: 4 * time.Second, MaxSessionTimeout: 40 * time.Second,
			SnapCount: 100000, SnapRetainCount: 3, JuteMaxBuffer: 1 << 20, ForceSync: true,
			FourLetterWords: []string{"srvr"}, Ensemble: "paddock", Servers: servers,
			PeerUser: "peer", PeerPassword: peerPw, ClientUsers: []ClientUser{{User: "client", Password: clientPw}},
			Admin: AdminServer{Enabled: true, Address: DefaultAdminAddress, Port: basePort + 300 + i - 1,
				CommandURL: DefaultAdminCommandURL, IdleTimeout: DefaultAdminIdleTimeout},
		}
		if n == 1 {
			c.BusPort = basePort + 200
		}
		path := filepath.Join(nodeDir, "zoo.cfg")
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if err := Write(f, c); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(data, "myid"), []byte(fmt.Sprintf("%d\n", i)), 0o644); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

func randomPassword() (string, error) {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("config: random credentials: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func idOf(i int) msg.NodeID { return msg.NodeID(i) }
