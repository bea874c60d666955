// SPDX-License-Identifier: GPL-2.0
/*
 * decompress.c - host-side decompression of a bzImage payload.
 *
 * Documentation/x86/boot.rst, payload_offset: "The payload may be
 * compressed. The format of both the compressed and uncompressed data
 * should be determined using the standard magic numbers."  The kernel
 * build appends the uncompressed size as a little-endian u32 after the
 * compressed stream (scripts/Makefile.lib, size_append), so every decoder
 * here must stop at the end of its own stream and ignore what follows.
 *
 * The payload comes from an untrusted file: every decoder is bounded by
 * max_out and any decoding error is reported, never trusted.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "kvm.h"

/* Legacy LZ4 framing as written by `lz4 -l` (lib/decompress_unlz4.c). */
#define LZ4_LEGACY_MAGIC	0x184c2102U
#define LZ4_LEGACY_BLOCK	(8U << 20)	/* uncompressed bytes per block */

/* liblzma may need this much for the dictionary; Linux uses 32 MiB. */
#define LZMA_MEMLIMIT		(256ULL << 20)

/* First allocation when the size hint is unusable. */
#define OUT_INITIAL		(1U << 20)

/*
 * Growable output buffer.  It may grow to one byte more than the caller's
 * limit: a decoder that fills exactly max_out bytes still has room to
 * finish its stream (check the trailer CRC, see the end mark) instead of
 * stopping on a full buffer, and producing that extra byte is how an
 * oversized payload shows up.
 */
struct outbuf {
	uint8_t *p;
	size_t len;	/* bytes produced */
	size_t cap;
	size_t max;	/* max_out + 1 */
};

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void err_too_big(const char *method, const struct outbuf *o)
{
	err_set("%s payload decompresses to more than %zu bytes", method,
		o->max - 1);
}

static int out_init(struct outbuf *o, const uint8_t *in, size_t len,
		    size_t max_out)
{
	size_t cap = 0;

	o->p = NULL;
	o->len = 0;
	if (max_out == 0 || max_out >= SIZE_MAX / 2) {
		err_set("invalid decompression limit %zu", max_out);
		return -1;
	}
	o->max = max_out + 1;
	/*
	 * The trailing u32 written by size_append is only a hint: the file is
	 * untrusted and a payload without it is legal too.  Trust it for the
	 * first allocation only when it fits in max_out; the buffer grows if
	 * the hint was short.
	 */
	if (len >= 4)
		cap = get_le32(in + len - 4);
	if (cap != 0 && cap <= max_out) {
		cap++;		/* room to see the end of the stream */
	} else {
		cap = len < SIZE_MAX / 4 ? len * 4 : SIZE_MAX;
		if (cap < OUT_INITIAL)
			cap = OUT_INITIAL;
		if (cap > o->max)
			cap = o->max;
	}
	o->p = malloc(cap);
	if (!o->p) {
		err_set("cannot allocate %zu bytes to decompress the kernel",
			cap);
		return -1;
	}
	o->cap = cap;
	return 0;
}

/* Make room for at least one more byte; doubles, capped at max. */
static int out_grow(struct outbuf *o, const char *method)
{
	size_t cap;
	uint8_t *p;

	if (o->cap >= o->max) {
		err_too_big(method, o);
		return -1;
	}
	cap = o->cap > o->max / 2 ? o->max : o->cap * 2;
	p = realloc(o->p, cap);
	if (!p) {
		err_set("cannot allocate %zu bytes to decompress the kernel",
			cap);
		return -1;
	}
	o->p = p;
	o->cap = cap;
	return 0;
}

static int gzip_decompress(const uint8_t *in, size_t len, struct outbuf *o)
{
	z_stream zs;
	int ret;

	memset(&zs, 0, sizeof(zs));
	/* 16 + MAX_WBITS: expect a gzip header and trailer, not zlib. */
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		err_set("gzip: cannot initialise zlib");
		return -1;
	}
	zs.next_in = (Bytef *)in;
	for (;;) {
		size_t in_chunk, out_chunk;

		if (o->len == o->cap && out_grow(o, "gzip") < 0)
			goto fail;
		/* avail_in/avail_out are uInt: feed at most UINT_MAX at once. */
		in_chunk = len - (size_t)(zs.next_in - in);
		if (in_chunk > UINT_MAX)
			in_chunk = UINT_MAX;
		out_chunk = o->cap - o->len;
		if (out_chunk > UINT_MAX)
			out_chunk = UINT_MAX;
		zs.avail_in = (uInt)in_chunk;
		zs.next_out = o->p + o->len;
		zs.avail_out = (uInt)out_chunk;
		ret = inflate(&zs, Z_NO_FLUSH);
		o->len += out_chunk - zs.avail_out;
		/*
		 * Z_STREAM_END is the end of the first gzip member; the size
		 * word appended by the kernel build follows and is ignored.
		 */
		if (ret == Z_STREAM_END)
			break;
		if (ret == Z_BUF_ERROR && zs.avail_out != 0) {
			err_set("gzip: payload is truncated");
			goto fail;
		}
		if (ret != Z_OK && ret != Z_BUF_ERROR) {
			err_set("gzip: payload is corrupt (%s)",
				zs.msg ? zs.msg : "inflate failed");
			goto fail;
		}
	}
	inflateEnd(&zs);
	return 0;
fail:
	inflateEnd(&zs);
	return -1;
}

static const char *lzma_strerror(lzma_ret ret)
{
	switch (ret) {
	case LZMA_MEM_ERROR:
		return "out of memory";
	case LZMA_MEMLIMIT_ERROR:
		return "dictionary too large";
	case LZMA_FORMAT_ERROR:
		return "bad header";
	case LZMA_OPTIONS_ERROR:
		return "unsupported options";
	case LZMA_DATA_ERROR:
		return "data error";
	case LZMA_BUF_ERROR:
		return "payload is truncated";
	case LZMA_UNSUPPORTED_CHECK:
		return "unsupported integrity check";
	default:
		return "decoder error";
	}
}

/* xz (.xz container) and lzma (legacy .lzma "alone" format). */
static int lzma_decompress(const uint8_t *in, size_t len, struct outbuf *o,
			   bool xz)
{
	const char *method = xz ? "xz" : "lzma";
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret ret;

	/*
	 * No LZMA_CONCATENATED: the decoder returns LZMA_STREAM_END after
	 * the first stream, so the trailing size word is never parsed.
	 */
	if (xz)
		ret = lzma_stream_decoder(&s, LZMA_MEMLIMIT, 0);
	else
		ret = lzma_alone_decoder(&s, LZMA_MEMLIMIT);
	if (ret != LZMA_OK) {
		err_set("%s: cannot initialise liblzma: %s", method,
			lzma_strerror(ret));
		return -1;
	}
	s.next_in = in;
	s.avail_in = len;
	for (;;) {
		if (o->len == o->cap && out_grow(o, method) < 0)
			goto fail;
		s.next_out = o->p + o->len;
		s.avail_out = o->cap - o->len;
		/*
		 * LZMA_FINISH: all input is present, so running out of it
		 * means truncation (LZMA_BUF_ERROR), not "feed me more".
		 */
		ret = lzma_code(&s, LZMA_FINISH);
		o->len = o->cap - s.avail_out;
		if (ret == LZMA_STREAM_END)
			break;
		if (ret == LZMA_OK)
			continue;
		if (ret == LZMA_BUF_ERROR && s.avail_out == 0)
			continue;	/* output full: grow and retry */
		err_set("%s: payload is corrupt (%s)", method,
			lzma_strerror(ret));
		goto fail;
	}
	lzma_end(&s);
	return 0;
fail:
	lzma_end(&s);
	return -1;
}

static int zstd_decompress(const uint8_t *in, size_t len, struct outbuf *o)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	ZSTD_inBuffer ib = { in, len, 0 };
	size_t ret;

	if (!ds) {
		err_set("zstd: cannot allocate a decompression context");
		return -1;
	}
	for (;;) {
		ZSTD_outBuffer ob;
		size_t in_before, out_before;

		if (o->len == o->cap && out_grow(o, "zstd") < 0)
			goto fail;
		ob.dst = o->p;
		ob.size = o->cap;
		ob.pos = o->len;
		in_before = ib.pos;
		out_before = ob.pos;
		ret = ZSTD_decompressStream(ds, &ob, &ib);
		o->len = ob.pos;
		if (ZSTD_isError(ret)) {
			err_set("zstd: payload is corrupt (%s)",
				ZSTD_getErrorName(ret));
			goto fail;
		}
		/* 0: a frame is complete and fully flushed; stop there. */
		if (ret == 0)
			break;
		/*
		 * The decoder still wants input but left output space unused
		 * (or made no progress at all): the frame is truncated.
		 */
		if ((ib.pos == ib.size && ob.pos < ob.size) ||
		    (ib.pos == in_before && ob.pos == out_before)) {
			err_set("zstd: payload is truncated");
			goto fail;
		}
	}
	ZSTD_freeDStream(ds);
	return 0;
fail:
	ZSTD_freeDStream(ds);
	return -1;
}

/*
 * Legacy LZ4 (lib/decompress_unlz4.c): the magic 0x184C2102, then blocks
 * of [u32 LE compressed size][data], each decompressing to at most 8 MiB.
 * The magic may repeat between blocks (concatenated archives).  The
 * stream ends at the end of input, at a zero block size, or - in a bzImage
 * - at the 4-byte uncompressed size appended by the build, which we
 * recognise by its value.
 */
static int lz4_decompress(const uint8_t *in, size_t len, struct outbuf *o)
{
	size_t pos = 4;		/* the caller checked the magic */

	while (pos < len) {
		size_t left = len - pos;
		size_t room;
		uint32_t csize;
		int ret;

		if (left < 4) {
			err_set("lz4: payload is truncated");
			return -1;
		}
		csize = get_le32(in + pos);
		if (csize == LZ4_LEGACY_MAGIC) {
			pos += 4;
			continue;
		}
		if (csize == 0)
			break;
		/*
		 * Four bytes left cannot be a block (it would have no data):
		 * the size_append trailer, if it matches what was decoded.
		 * Checking the value catches a stream cut right after a
		 * block header.
		 */
		if (left == 4) {
			if (o->len && csize == (uint32_t)o->len)
				break;
			err_set("lz4: payload is truncated (or its size trailer %u does not match the %zu bytes decoded)",
				csize, o->len);
			return -1;
		}
		pos += 4;
		left -= 4;
		if (csize > left) {
			err_set("lz4: payload is truncated");
			return -1;
		}
		if (csize > (uint32_t)LZ4_compressBound(LZ4_LEGACY_BLOCK)) {
			err_set("lz4: block of %u bytes is too large", csize);
			return -1;
		}
		/*
		 * LZ4_decompress_safe never writes past `room` and fails if
		 * the block needs more.  Rather than always reserving a full
		 * 8 MiB (the buffer is usually sized exactly from the size
		 * hint), retry with more room; doubling bounds the retries.
		 */
		for (;;) {
			room = o->cap - o->len;
			if (room > LZ4_LEGACY_BLOCK)
				room = LZ4_LEGACY_BLOCK;
			ret = LZ4_decompress_safe((const char *)in + pos,
						  (char *)o->p + o->len,
						  (int)csize, (int)room);
			if (ret >= 0)
				break;
			if (room == LZ4_LEGACY_BLOCK) {
				err_set("lz4: payload is corrupt");
				return -1;
			}
			if (o->cap >= o->max) {
				err_set("lz4: payload is corrupt or decompresses to more than %zu bytes",
					o->max - 1);
				return -1;
			}
			if (out_grow(o, "lz4") < 0)
				return -1;
		}
		o->len += (size_t)ret;
		pos += csize;
	}
	return 0;
}

enum method {
	M_GZIP, M_XZ, M_LZMA, M_ZSTD, M_LZ4,
	M_BZIP2, M_LZO,		/* recognised, not supported on the host */
};

/*
 * boot.rst, payload_offset: "gzip (magic numbers 1F 8B or 1F 9E), bzip2
 * (magic number 42 5A), LZMA (magic number 5D 00), XZ (magic number FD
 * 37), LZ4 (magic number 02 21) and ZSTD (magic number 28 B5)".  Match
 * longer magics than that where the formats have them.  (1F 9E is the
 * pre-1993 "old gzip", which neither Linux's build nor zlib produces.)
 */
static const struct {
	uint8_t magic[6];
	uint8_t len;
	enum method m;
	const char *name;
} formats[] = {
	{ { 0x1f, 0x8b }, 2, M_GZIP, "gzip" },
	{ { 0xfd, '7', 'z', 'X', 'Z', 0x00 }, 6, M_XZ, "xz" },
	/* lc=3 lp=0 pb=2, then the low bytes of the dictionary size */
	{ { 0x5d, 0x00, 0x00 }, 3, M_LZMA, "lzma" },
	{ { 0x28, 0xb5, 0x2f, 0xfd }, 4, M_ZSTD, "zstd" },
	{ { 0x02, 0x21, 0x4c, 0x18 }, 4, M_LZ4, "lz4" },
	{ { 'B', 'Z', 'h' }, 3, M_BZIP2, "bzip2" },
	{ { 0x89, 'L', 'Z', 'O' }, 4, M_LZO, "lzo" },
};

int payload_decompress(const uint8_t *in, size_t len, size_t max_out,
		       uint8_t **out, size_t *out_len, const char **method)
{
	const char *name = NULL;
	enum method m = M_GZIP;
	struct outbuf o;
	unsigned int i;
	int ret;

	*out = NULL;
	*out_len = 0;
	if (method)
		*method = NULL;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (len >= formats[i].len &&
		    !memcmp(in, formats[i].magic, formats[i].len)) {
			m = formats[i].m;
			name = formats[i].name;
			break;
		}
	}
	if (!name) {
		err_set("kernel payload has an unknown compression format (magic %02x %02x)",
			len > 0 ? in[0] : 0, len > 1 ? in[1] : 0);
		return -1;
	}
	if (method)
		*method = name;

	/* Linux can use these too, but we do not link their libraries. */
	if (m == M_BZIP2 || m == M_LZO) {
		err_set("kernel payload is compressed with %s, which lightvm cannot decompress on the host; use --guest-decompress",
			name);
		return -1;
	}

	if (out_init(&o, in, len, max_out) < 0)
		return -1;
	switch (m) {
	case M_GZIP:
		ret = gzip_decompress(in, len, &o);
		break;
	case M_XZ:
		ret = lzma_decompress(in, len, &o, true);
		break;
	case M_LZMA:
		ret = lzma_decompress(in, len, &o, false);
		break;
	case M_ZSTD:
		ret = zstd_decompress(in, len, &o);
		break;
	default:
		ret = lz4_decompress(in, len, &o);
		break;
	}
	if (ret == 0 && o.len == 0) {
		err_set("%s: kernel payload decompresses to nothing", name);
		ret = -1;
	}
	if (ret == 0 && o.len >= o.max) {
		err_too_big(name, &o);
		ret = -1;
	}
	if (ret < 0) {
		free(o.p);
		return -1;
	}
	*out = o.p;
	*out_len = o.len;
	return 0;
}
