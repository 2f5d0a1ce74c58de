package faultproxy

import (
	"bufio"
	"net"
	"testing"
	"time"
)

func echoServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); bufio.NewReader(c).WriteTo(c) }()
		}
	}()
	return ln.Addr().String()
}

func roundTrip(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	_, err = bufio.NewReader(c).ReadString('\n')
	return err
}

func TestCutAndHeal(t *testing.T) {
	p, err := Listen("127.0.0.1:0", echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := roundTrip(p.Addr()); err != nil {
		t.Fatalf("before cut: %v", err)
	}
	p.Cut()
	if err := roundTrip(p.Addr()); err == nil {
		t.Fatal("a cut proxy passed traffic")
	}
	p.Heal()
	if err := roundTrip(p.Addr()); err != nil {
		t.Fatalf("after heal: %v", err)
	}
}

func TestDelay(t *testing.T) {
	p, err := Listen("127.0.0.1:0", echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.SetDelay(100 * time.Millisecond)
	start := time.Now()
	if err := roundTrip(p.Addr()); err != nil {
		t.Fatalf("delayed: %v", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Fatalf("round trip through a 100ms proxy took %s, want ≥ 200ms (both ways)", d)
	}
	p.SetDelay(0)
	start = time.Now()
	if err := roundTrip(p.Addr()); err != nil {
		t.Fatalf("undelayed: %v", err)
	}
	if d := time.Since(start); d > 150*time.Millisecond {
		t.Fatalf("round trip without delay took %s", d)
	}
}
