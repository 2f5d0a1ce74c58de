package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Metrics is ZooKeeper's metricsProvider.* configuration. With the
// Prometheus provider the node serves /metrics on Host:Port; without it
// (ZooKeeper's default and null providers) Enabled is false and the other
// fields are zero: mntr still reports every figure.
type Metrics struct {
	Enabled bool
	Host    string // metricsProvider.httpHost, default 0.0.0.0
	Port    int    // metricsProvider.httpPort, default 7000
	// Runtime is metricsProvider.exportJvmInfo (default true): with
	// Paddock, the Go runtime's and the process's metrics.
	Runtime bool
}

// The metrics provider class names ZooKeeper 3.8 ships.
const (
	PrometheusMetricsProvider = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"
	DefaultMetricsProvider    = "org.apache.zookeeper.metrics.impl.DefaultMetricsProvider"
	NullMetricsProvider       = "org.apache.zookeeper.metrics.impl.NullMetricsProvider"
)

// metricsKeys are the metricsProvider.* keys Paddock reads.
var metricsKeys = []string{"metricsProvider.className", "metricsProvider.httpHost", "metricsProvider.httpPort",
	"metricsProvider.exportJvmInfo"}

// metrics reads the metricsProvider.* keys. The Prometheus provider
// turns the endpoint on; ZooKeeper's default provider (its mntr
// figures, which Paddock always keeps) and null provider leave it off;
// any other class would be a provider Paddock does not have, an error
// rather than a node without the metrics the operator asked for.
func (p *parser) metrics() error {
	c := p.c
	class, set := p.vals["metricsProvider.className"]
	switch {
	case class == PrometheusMetricsProvider:
	case !set || class == DefaultMetricsProvider || class == NullMetricsProvider:
		for _, k := range metricsKeys[1:] {
			if _, ok := p.vals[k]; ok {
				c.Warnings = append(c.Warnings, fmt.Sprintf("%s:%d: %s has no effect without metricsProvider.className=%s",
					p.name, p.line[k], k, PrometheusMetricsProvider))
			}
		}
		return nil
	default:
		return p.errf("metricsProvider.className", "%q: the metrics providers are %s (serves /metrics), %s and %s (no endpoint)",
			class, PrometheusMetricsProvider, DefaultMetricsProvider, NullMetricsProvider)
	}
	m := Metrics{Enabled: true, Host: "0.0.0.0"}
	var err error
	if m.Port, err = p.intKey("metricsProvider.httpPort", 7000, 1, 65535, ""); err != nil {
		return err
	}
	if v, ok := p.vals["metricsProvider.httpHost"]; ok {
		if !validHost(v) {
			return p.errf("metricsProvider.httpHost", "%q is not a host name or IP address", v)
		}
		m.Host = strings.Trim(v, "[]")
	}
	if m.Runtime, err = p.boolKey("metricsProvider.exportJvmInfo", true); err != nil {
		return err
	}
	if m.Port == c.ClientPort && (m.Host == c.ClientPortAddress || m.Host == "0.0.0.0" || c.ClientPortAddress == "0.0.0.0") {
		return p.errf("metricsProvider.httpPort", "%d is the clientPort", m.Port)
	}
	c.Metrics = m
	return nil
}

// MetricsAddr is the host:port /metrics is served on ("" when it is
// not).
func (c *Config) MetricsAddr() string {
	if !c.Metrics.Enabled {
		return ""
	}
	return net.JoinHostPort(c.Metrics.Host, strconv.Itoa(c.Metrics.Port))
}
