package hostile

import (
	"fmt"
	"net"
	"time"
)

// Dialer opens attack connections from one local address.
type Dialer struct {
	// From is the local IP address to connect from ("" for any); on
	// Linux every address of 127.0.0.0/8 is loopback, so a test can be
	// many client addresses at once.
	From string
}

// Dial connects to addr within timeout.
func (d Dialer) Dial(addr string, timeout time.Duration) (net.Conn, error) {
	nd := net.Dialer{Timeout: timeout}
	if d.From != "" {
		ip := net.ParseIP(d.From)
		if ip == nil {
			return nil, fmt.Errorf("hostile: bad local address %q", d.From)
		}
		nd.LocalAddr = &net.TCPAddr{IP: ip}
	}
	c, err := nd.Dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: dial %s from %q: %w", errDoor, addr, d.From, err)
	}
	return c, nil
}

// Loopback is the i-th loopback address of a block of 256 from 127.b.0.1
// on: distinct client addresses for attacks that must not share a
// maxClientCnxns budget.
func Loopback(b, i int) string {
	i++
	return fmt.Sprintf("127.%d.%d.%d", b, i/256, i%256)
}
