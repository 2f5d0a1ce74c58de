package zkwire

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// ErrBadTLSFiles wraps the errors of key and trust store files that
// cannot be used.
var ErrBadTLSFiles = errors.New("zkwire: bad TLS files")

// TLSFiles are ZooKeeper's ssl.* stores in PEM form: KeyStore holds the
// server's private key and certificate chain in one file
// (ssl.keyStore.location), TrustStore the CA certificates client
// certificates are checked against (ssl.trustStore.location; "" for the
// system's roots).
type TLSFiles struct {
	KeyStore, TrustStore string
	ClientAuth           tls.ClientAuthType
}

// ServerTLS returns a TLS config that reads files' stores now, and again
// for a new connection whenever a file's modification time or size
// changed, so renewed certificates take effect without a restart (a file
// that fails to load then keeps the last good stores, logged by the
// handshake's error). It fails if the stores cannot be loaded now.
func ServerTLS(files TLSFiles) (*tls.Config, error) {
	r := &tlsReloader{files: files}
	if err := r.load(); err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return r.current(), nil
		},
	}, nil
}

type tlsReloader struct {
	files TLSFiles
	mu    sync.Mutex
	cfg   *tls.Config
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

func (r *tlsReloader) current() *tls.Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := [2]fileStamp{stampOf(r.files.KeyStore), stampOf(r.files.TrustStore)}
	if now != r.stamp {
		_ = r.loadLocked() // a half-written file: keep the last good stores
	}
	return r.cfg
}

func (r *tlsReloader) load() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.loadLocked()
}

func (r *tlsReloader) loadLocked() error {
	stamp := [2]fileStamp{stampOf(r.files.KeyStore), stampOf(r.files.TrustStore)}
	pem, err := os.ReadFile(r.files.KeyStore)
	if err != nil {
		return fmt.Errorf("%w: key store: %w", ErrBadTLSFiles, err)
	}
	cert, err := tls.X509KeyPair(pem, pem)
	if err != nil {
		return fmt.Errorf("%w: key store %s: want a PEM private key and certificate chain: %w", ErrBadTLSFiles, r.files.KeyStore, err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, ClientAuth: r.files.ClientAuth}
	if r.files.TrustStore != "" {
		pem, err := os.ReadFile(r.files.TrustStore)
		if err != nil {
			return fmt.Errorf("%w: trust store: %w", ErrBadTLSFiles, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%w: trust store %s: no PEM certificate in it", ErrBadTLSFiles, r.files.TrustStore)
		}
		cfg.ClientCAs = pool
	}
	r.cfg, r.stamp = cfg, stamp
	return nil
}
