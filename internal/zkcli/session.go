package zkcli

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// cmdAddAuth is AddAuthCommand: addauth scheme [auth]. zkCli sends the
// packet and goes on; here the server's answer is awaited, so a refused
// identity is reported at once (its error) instead of as an AuthFailed
// WATCHER:: event.
func cmdAddAuth(e *env) error {
	var auth []byte
	if len(e.args) > 1 {
		auth = []byte(e.args[1])
	}
	return e.c.AddAuth(e.ctx, e.args[0], auth)
}

// cmdWhoAmI is WhoAmICommand: a header, then "scheme: user" per identity.
func cmdWhoAmI(e *env) error {
	ids, err := e.c.WhoAmI(e.ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.out, "Auth scheme: User")
	for _, id := range ids {
		fmt.Fprintln(e.out, id.AuthScheme+": "+id.User)
	}
	return nil
}

// cmdConfig is GetConfigCommand: /zookeeper/config's data ("null" when it
// has none), or with -c the client connection string of it
// (ConfigUtils.getClientConfigStr), and its Stat with -s.
func cmdConfig(e *env) error {
	data, st, ch, err := e.c.GetConfig(e.ctx, e.has('w'))
	if err != nil {
		return err
	}
	if e.has('w') {
		e.watching(ch)
	}
	text := "null"
	if data != nil {
		text = string(data)
	}
	if e.has('c') {
		text = clientConfig(text)
	}
	fmt.Fprintln(e.out, text)
	if e.has('s') {
		PrintStat(e.out, st, e.loc)
	}
	return nil
}

// clientConfig is ConfigUtils.getClientConfigStr: "version" then a space
// and the client addresses of the server.N lines, comma-separated. Java
// walks a Properties hash table; here the servers come in id order.
func clientConfig(cfg string) string {
	version := ""
	type server struct {
		id   int
		addr string
	}
	var servers []server
	for _, line := range strings.Split(cfg, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "version" {
			version = v
		}
		id, err := strconv.Atoi(strings.TrimPrefix(k, "server."))
		if !strings.HasPrefix(k, "server.") || err != nil {
			continue
		}
		// host:quorum:election[:role][;[clientHost:]clientPort]
		_, client, ok := strings.Cut(v, ";")
		if !ok {
			servers = append(servers, server{id, ""})
			continue
		}
		if !strings.Contains(client, ":") {
			client = "0.0.0.0:" + client
		}
		servers = append(servers, server{id, client})
	}
	sort.Slice(servers, func(i, j int) bool { return servers[i].id < servers[j].id })
	addrs := make([]string, len(servers))
	for i, s := range servers {
		addrs[i] = s.addr
	}
	return version + " " + strings.Join(addrs, ",")
}

// cmdEphemerals is GetEphemeralsCommand: the session's ephemeral nodes
// (under a prefix), as Java prints a List.
func cmdEphemerals(e *env) error {
	prefix := "/"
	if len(e.args) > 0 {
		prefix = e.args[0]
		if err := checkPath(prefix, false); err != nil {
			return err
		}
	}
	paths, err := e.c.Ephemerals(e.ctx, prefix)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "[%s]\n", strings.Join(paths, ", "))
	return nil
}
