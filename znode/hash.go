package znode

import "math/bits"

// A small non-cryptographic 64-bit hash (xxhash-style rounds, murmur3
// finaliser) for the tree digest. It is written out here rather than taken
// from hash/maphash because the digest must be identical on every replica
// and across restarts, so it cannot have a per-process seed.

const (
	prime1 = 0x9E3779B97F4A7C15
	prime2 = 0xC2B2AE3D27D4EB4F
)

func mix(h, v uint64) uint64 {
	h ^= v * prime2
	return bits.RotateLeft64(h, 31) * prime1
}

func fmix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

func hashBytes[T string | []byte](h uint64, b T) uint64 {
	h = mix(h, uint64(len(b)))
	for len(b) >= 8 {
		v := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		h = mix(h, v)
		b = b[8:]
	}
	var tail uint64
	for i := 0; i < len(b); i++ {
		tail |= uint64(b[i]) << (8 * i)
	}
	return mix(h, tail)
}

// nodeHash is n's contentHash at path, but for the configuration node
// while no txn has written it: InitConfig fills it from each node's own
// server lines, which legitimately differ between replicas (one peer's
// address as another sees it, through a proxy or a NAT), so it hashes as
// null data, as the built-in node did in every snapshot written before
// it was filled (their digests still check). ZooKeeper leaves all of /zookeeper/ out of its
// digest for the same reason. Once a txn writes it (mzxid > 0) it is
// replicated state like any node.
func nodeHash(path string, n *node) uint64 {
	if path == ConfigPath && n.mzxid == 0 {
		return contentHash(path, nil)
	}
	return contentHash(path, n.data)
}

func hashString(seed uint64, s string) uint64 { return fmix(hashBytes(seed, s)) }

// contentHash covers a node's path and data: the part of its digest that is
// costly to recompute, so it is cached per node and only redone on setData.
// Null and zero-length data hash apart, since clients see them apart and
// replicas must agree on which a node holds; null keeps the hash that all
// zero-length data had before the two were told apart, so the digests of
// snapshots written then (whose zero-length data reads as null) still
// check.
func contentHash(path string, data []byte) uint64 {
	h := hashBytes(hashBytes(0x7a6e6f6465, path), data)
	if data != nil && len(data) == 0 {
		h = mix(h, 0x656d707479) // "empty"
	}
	return h
}
