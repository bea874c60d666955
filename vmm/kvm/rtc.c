// SPDX-License-Identifier: GPL-2.0
/*
 * rtc.c - the MC146818 CMOS/RTC at ports 0x70 (index; bit 7 masks NMI)
 * and 0x71 (data), as far as Linux reads it: the time in BCD, 24-hour mode,
 * never "update in progress", status D "valid RAM and time".  The other
 * CMOS bytes are plain storage.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvm.h"

#define RTC_INDEX	0x70
#define CMOS_SIZE	128

#define RTC_SECONDS	0x00
#define RTC_MINUTES	0x02
#define RTC_HOURS	0x04
#define RTC_WEEKDAY	0x06
#define RTC_DAY		0x07
#define RTC_MONTH	0x08
#define RTC_YEAR	0x09
#define RTC_REG_A	0x0a
#define RTC_REG_B	0x0b
#define RTC_REG_C	0x0c
#define RTC_REG_D	0x0d
#define RTC_CENTURY	0x32

#define REG_A_DEFAULT	0x26	/* 32.768 kHz, 1024 Hz rate, UIP clear */
#define REG_B_24H	0x02	/* 24-hour, BCD, no interrupts */
#define REG_D_VRT	0x80	/* valid RAM and time */

struct rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t cmos[CMOS_SIZE];
};

static uint8_t bcd(int v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t rtc_read(struct rtc *r)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (r->index) {
	case RTC_SECONDS:
		return bcd(tm.tm_sec);
	case RTC_MINUTES:
		return bcd(tm.tm_min);
	case RTC_HOURS:
		return bcd(tm.tm_hour);
	case RTC_WEEKDAY:
		return bcd(tm.tm_wday + 1);
	case RTC_DAY:
		return bcd(tm.tm_mday);
	case RTC_MONTH:
		return bcd(tm.tm_mon + 1);
	case RTC_YEAR:
		return bcd(tm.tm_year % 100);
	case RTC_CENTURY:
		return bcd(19 + tm.tm_year / 100);
	case RTC_REG_A:
		return REG_A_DEFAULT;
	case RTC_REG_B:
		return REG_B_24H;
	case RTC_REG_C:
		return 0;
	case RTC_REG_D:
		return REG_D_VRT;
	}
	return r->cmos[r->index];
}

static void rtc_io(void *opaque, uint64_t off, uint8_t *data,
		   unsigned int len, bool is_write)
{
	struct rtc *r = opaque;

	pthread_mutex_lock(&r->lock);
	if (off == 0) {
		if (is_write)
			r->index = data[0] & 0x7f;
		else
			memset(data, 0xff, len);	/* index is write-only */
	} else if (is_write) {
		/* The clock itself is the host's; keep other bytes. */
		if (r->index > RTC_REG_D)
			r->cmos[r->index] = data[0];
	} else {
		memset(data, 0, len);
		data[0] = rtc_read(r);
	}
	pthread_mutex_unlock(&r->lock);
}

int rtc_init(struct vm *vm)
{
	struct rtc *r = calloc(1, sizeof(*r));

	if (!r) {
		err_set("out of memory");
		return -1;
	}
	pthread_mutex_init(&r->lock, NULL);
	vm->rtc = r;
	return io_bus_register(&vm->pio, RTC_INDEX, 2, rtc_io, r, "rtc");
}

void rtc_destroy(struct vm *vm)
{
	if (!vm->rtc)
		return;
	pthread_mutex_destroy(&vm->rtc->lock);
	free(vm->rtc);
	vm->rtc = NULL;
}
