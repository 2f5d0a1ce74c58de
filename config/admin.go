package config

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// AdminServer is ZooKeeper's AdminServer configuration, its admin.* keys:
// HTTP on Address:Port with the commands under CommandURL.
type AdminServer struct {
	// Enabled is admin.enableServer (default true, as ZooKeeper's).
	Enabled bool
	// Address is admin.serverAddress. Paddock's default is 127.0.0.1,
	// not ZooKeeper's 0.0.0.0: the commands show sessions, paths and the
	// configuration, and reset counters, without authentication.
	Address string
	// Port is admin.serverPort (default 8080); 0 lets the system pick a
	// free port, as Jetty does, which the node logs.
	Port int
	// CommandURL is admin.commandURL (default /commands), without a
	// trailing slash.
	CommandURL string
	// IdleTimeout is admin.idleTimeout (ms in the file, default 30000):
	// how long a kept-alive connection may sit idle.
	IdleTimeout time.Duration
}

// The AdminServer's defaults.
const (
	DefaultAdminAddress     = "127.0.0.1"
	DefaultAdminPort        = 8080
	DefaultAdminCommandURL  = "/commands"
	DefaultAdminIdleTimeout = 30 * time.Second
)

// adminKeys are the admin.* keys Paddock reads; the rest of ZooKeeper's
// (admin.portUnification, admin.httpVersion, …) stay unsupported.
var adminKeys = []string{"admin.enableServer", "admin.serverAddress", "admin.serverPort", "admin.commandURL", "admin.idleTimeout"}

// Addr is the host:port the AdminServer binds.
func (a AdminServer) Addr() string {
	return net.JoinHostPort(strings.Trim(a.Address, "[]"), strconv.Itoa(a.Port))
}

// commandURLRe is a path of one or more non-empty segments of URL path
// characters that need no escaping.
var commandURLRe = regexp.MustCompile(`^(/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+$`)

// admin reads the admin.* keys.
func (p *parser) admin() error {
	a := &p.c.Admin
	var err error
	if a.Enabled, err = p.boolKey("admin.enableServer", true); err != nil {
		return err
	}
	a.Address = DefaultAdminAddress
	if v, ok := p.vals["admin.serverAddress"]; ok {
		if !validHost(v) {
			return p.errf("admin.serverAddress", "%q is not a host name or IP address", v)
		}
		a.Address = v
	}
	if a.Port, err = p.intKey("admin.serverPort", DefaultAdminPort, 0, 65535, ""); err != nil {
		return err
	}
	a.CommandURL = DefaultAdminCommandURL
	if v, ok := p.vals["admin.commandURL"]; ok {
		u := strings.TrimRight(v, "/")
		switch {
		case !commandURLRe.MatchString(u) || strings.Contains(u, "/./") || strings.Contains(u, "/../") ||
			strings.HasSuffix(u, "/.") || strings.HasSuffix(u, "/.."):
			return p.errf("admin.commandURL", "%q: want a path such as /commands", v)
		case u == "/livez" || u == "/readyz" || strings.HasPrefix(u, "/livez/") || strings.HasPrefix(u, "/readyz/"):
			return p.errf("admin.commandURL", "%q would hide the /livez and /readyz endpoints", v)
		}
		a.CommandURL = u
	}
	ms, err := p.intKey("admin.idleTimeout", int(DefaultAdminIdleTimeout.Milliseconds()), 1, 1<<31-1, " of milliseconds")
	if err != nil {
		return err
	}
	a.IdleTimeout = time.Duration(ms) * time.Millisecond
	return nil
}

// writeAdmin renders c.Admin for Write; a field left zero in a Config
// built in code is left out, so Parse gives it its default.
func writeAdmin(b *strings.Builder, c *Config) {
	a := c.Admin
	fmt.Fprintf(b, "admin.enableServer=%t\nadmin.serverPort=%d\n", a.Enabled, a.Port)
	if a.Address != "" {
		fmt.Fprintf(b, "admin.serverAddress=%s\n", a.Address)
	}
	if a.CommandURL != "" {
		fmt.Fprintf(b, "admin.commandURL=%s\n", a.CommandURL)
	}
	if a.IdleTimeout > 0 {
		fmt.Fprintf(b, "admin.idleTimeout=%d\n", a.IdleTimeout.Milliseconds())
	}
}

// redacted stands for a secret RedactSecrets hides.
const redacted = "********"

// RedactSecrets is zoo.cfg text with its secrets hidden, for the
// AdminServer's initial_configuration: the value of every key naming a
// password, the passwords of paddock.clientUsers and the digest of the
// super user (a digest is an unsalted SHA-1, open to guessing). Other
// lines, comments and blank ones included, are kept as they are.
func RedactSecrets(text string) string {
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		body := strings.TrimRight(l, "\r\n")
		t := strings.TrimSpace(body)
		if t == "" || t[0] == '#' || t[0] == '!' {
			continue
		}
		sep := strings.IndexAny(body, "=:")
		if strings.HasPrefix(t, "server.") || strings.HasPrefix(t, "group.") || strings.HasPrefix(t, "weight.") {
			sep = strings.IndexByte(body, '=')
		}
		if sep < 0 {
			continue
		}
		key, val := strings.TrimSpace(body[:sep]), strings.TrimSpace(body[sep+1:])
		var hidden string
		switch {
		case strings.Contains(strings.ToLower(key), "password"):
			hidden = redacted
		case key == "paddock.clientUsers":
			var users []string
			for _, e := range strings.Split(val, ",") {
				if u, _, ok := strings.Cut(strings.TrimSpace(e), ":"); ok {
					users = append(users, u+":"+redacted)
				}
			}
			hidden = strings.Join(users, ",")
		case strings.HasSuffix(key, "superDigest"):
			u, _, _ := strings.Cut(val, ":")
			hidden = u + ":" + redacted
		default:
			continue
		}
		lines[i] = body[:sep+1] + hidden + l[len(body):]
	}
	return strings.Join(lines, "")
}
