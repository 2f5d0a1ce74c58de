package pemtls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// ErrBadFiles wraps the errors of key and trust stores that cannot be
// used.
var ErrBadFiles = errors.New("pemtls: bad TLS files")

// ErrPeerName is wrapped by a handshake's error when the peer's
// certificate chains to the trust store but names none of the hosts it
// must name.
var ErrPeerName = errors.New("pemtls: peer certificate names none of the allowed hosts")

// Files are a PEM key store (private key and certificate chain in one
// file) and a PEM trust store (CA certificates).
type Files struct {
	KeyStore, TrustStore string
}

// ServerConfig returns a listener's TLS config: it presents files'
// certificate and treats client certificates as auth says, verified
// against the trust store ("" for the system's roots). It fails if the
// stores cannot be loaded now.
func ServerConfig(files Files, auth tls.ClientAuthType) (*tls.Config, error) {
	s, err := newStore(files, func(m *stores) *tls.Config {
		return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{*m.cert},
			ClientAuth: auth, ClientCAs: m.pool}
	})
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Not used for handshakes (GetConfigForClient's config is), but
		// nats-server reads it to tell clients whether it verifies them.
		ClientAuth:         auth,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return s.current().server, nil },
	}, nil
}

// MutualConfig returns the TLS config of connections between peers, for
// both the accepting and the dialing side: each presents files'
// certificate and demands one of the other that chains to the trust
// store, which must be set (the system's roots would admit a certificate
// any public CA issued). With names, the peer's certificate must also be
// valid for one of them; nil names check the chain only.
//
// Names are a set, not the one host dialed: nats-server picks a route's
// TLS server name itself (for a route to an IP address it may use the
// host name of another configured route), and the accepting side sees
// only a source address, which NAT or a second interface makes differ
// from any configured host. Checking against the ensemble's hosts still
// keeps out every certificate the CA issued for something else, such as
// a client's.
//
// Peer certificates need both the serverAuth and the clientAuth extended
// key usage (or none), since every node is server on some routes and
// client on others. TLS 1.3 is the minimum: only Paddock nodes speak here.
func MutualConfig(files Files, names []string) (*tls.Config, error) {
	if files.TrustStore == "" {
		return nil, fmt.Errorf("%w: peers need a trust store: the system's roots would admit any public CA's certificates", ErrBadFiles)
	}
	allowed := make([]string, 0, len(names))
	for _, n := range names {
		allowed = append(allowed, strings.Trim(n, "[]")) // an IPv6 literal as server.N writes it
	}
	checkName := func(cs tls.ConnectionState) error {
		if len(allowed) == 0 {
			return nil
		}
		if len(cs.PeerCertificates) == 0 {
			return fmt.Errorf("%w: no certificate", ErrPeerName)
		}
		leaf := cs.PeerCertificates[0]
		for _, n := range allowed {
			if leaf.VerifyHostname(n) == nil {
				return nil
			}
		}
		return fmt.Errorf("%w: %q is not valid for any of %s", ErrPeerName, leaf.Subject, strings.Join(allowed, ", "))
	}
	s, err := newStore(files, func(m *stores) *tls.Config {
		return &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{*m.cert},
			ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: m.pool, VerifyConnection: checkName}
	})
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return s.current().server, nil },
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return s.current().cert, nil
		},
		// The chain is verified in VerifyConnection, against the trust
		// store of this handshake rather than a RootCAs fixed at start.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if err := verifyChain(cs, s.current().pool, x509.ExtKeyUsageServerAuth); err != nil {
				return err
			}
			return checkName(cs)
		},
	}, nil
}

// verifyChain is crypto/tls's own check of the peer's chain, which
// InsecureSkipVerify turned off.
func verifyChain(cs tls.ConnectionState, roots *x509.CertPool, usage x509.ExtKeyUsage) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("pemtls: the peer sent no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{usage}})
	if err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: err}
	}
	return nil
}

// ClientConfig returns a client's TLS config, read once: it trusts the
// trust store ("" for the system's roots) and presents the key store's
// certificate ("" for none).
func ClientConfig(files Files) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if files.KeyStore != "" {
		cert, err := loadKeyStore(files.KeyStore)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{*cert}
	}
	if files.TrustStore != "" {
		pool, err := loadTrustStore(files.TrustStore)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

func loadKeyStore(path string) (*tls.Certificate, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: key store: %w", ErrBadFiles, err)
	}
	cert, err := tls.X509KeyPair(pem, pem)
	if err != nil {
		return nil, fmt.Errorf("%w: key store %s: want a PEM private key and certificate chain: %w", ErrBadFiles, path, err)
	}
	return &cert, nil
}

func loadTrustStore(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: trust store: %w", ErrBadFiles, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%w: trust store %s: no PEM certificate in it", ErrBadFiles, path)
	}
	return pool, nil
}

// stores are one load of the files: the certificate, the CA pool (nil for
// the system's roots) and the accepting side's config built from them.
type stores struct {
	cert   *tls.Certificate
	pool   *x509.CertPool
	server *tls.Config
}

// store keeps the files' last good stores and reloads them when a file's
// stamp changes.
type store struct {
	files Files
	build func(*stores) *tls.Config
	mu    sync.Mutex
	cur   *stores
	stamp [2]fileStamp
}

type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(path string) fileStamp {
	if path == "" {
		return fileStamp{}
	}
	st, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{st.ModTime(), st.Size()}
}

func newStore(files Files, build func(*stores) *tls.Config) (*store, error) {
	s := &store{files: files, build: build}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadLocked(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *store) current() *stores {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stamps() != s.stamp {
		_ = s.loadLocked() // a half-written file: keep the last good stores
	}
	return s.cur
}

func (s *store) stamps() [2]fileStamp {
	return [2]fileStamp{stampOf(s.files.KeyStore), stampOf(s.files.TrustStore)}
}

func (s *store) loadLocked() error {
	// Stamped before reading: a write in between makes the next look
	// read again.
	stamp := s.stamps()
	m := &stores{}
	var err error
	if m.cert, err = loadKeyStore(s.files.KeyStore); err != nil {
		return err
	}
	if s.files.TrustStore != "" {
		if m.pool, err = loadTrustStore(s.files.TrustStore); err != nil {
			return err
		}
	}
	m.server = s.build(m)
	s.cur, s.stamp = m, stamp
	return nil
}
