#include "sources/bpf/bpf_records.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "vmscan_abi.h"

using namespace kst;

TEST(BpfRecords, KswapdWake) {
  kst_rec_kswapd_wake r{};
  r.hdr = {KST_REC_KSWAPD_WAKE, sizeof r, 42, 123456789};
  r.nid = 1;
  r.zid = 2;
  r.order = 3;
  auto d = decode_record(&r, sizeof r);
  ASSERT_TRUE(d.event) << d.error;
  EXPECT_EQ(d.event->ts, 123456789u);
  auto* w = std::get_if<KswapdWake>(&d.event->data);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->nid, 1);
  EXPECT_EQ(w->zid, 2);
  EXPECT_EQ(w->order, 3);
}

TEST(BpfRecords, DirectReclaimCarriesEpisode) {
  kst_rec_direct_reclaim r{};
  r.hdr = {KST_REC_DIRECT_RECLAIM, sizeof r, 777, 5000};
  r.begin_ns = 1000;
  r.nr_reclaimed = 32;
  r.gfp = 0xcc0;
  r.order = 2;
  r.flags = KST_DR_MEMCG;
  std::memcpy(r.comm, "dd", 3);
  auto d = decode_record(&r, sizeof r);
  ASSERT_TRUE(d.event);
  auto* e = std::get_if<DirectReclaim>(&d.event->data);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->pid, 777u);
  EXPECT_EQ(e->comm, "dd");
  EXPECT_EQ(e->begin_ns, 1000u);
  EXPECT_EQ(e->end_ns, 5000u);
  EXPECT_EQ(e->nr_reclaimed, 32u);
  EXPECT_TRUE(e->memcg);
}

TEST(BpfRecords, CommWithoutTerminator) {
  kst_rec_wakeup_kswapd r{};
  r.hdr = {KST_REC_WAKEUP_KSWAPD, sizeof r, 9, 1};
  std::memset(r.comm, 'x', sizeof r.comm);
  auto d = decode_record(&r, sizeof r);
  ASSERT_TRUE(d.event);
  EXPECT_EQ(std::get<WakeupKswapd>(d.event->data).comm, std::string(16, 'x'));
}

TEST(BpfRecords, RejectsMalformed) {
  kst_rec_kswapd_sleep r{};
  r.hdr = {KST_REC_KSWAPD_SLEEP, sizeof r, 0, 0};
  EXPECT_FALSE(decode_record(&r, 8).event);             // shorter than header
  EXPECT_FALSE(decode_record(&r, sizeof r - 1).event);  // truncated record
  r.hdr.size = sizeof r + 8;
  EXPECT_FALSE(decode_record(&r, sizeof r).event);  // header lies about size
  r.hdr.size = sizeof r;
  r.hdr.type = 99;
  auto d = decode_record(&r, sizeof r);
  EXPECT_FALSE(d.event);
  EXPECT_NE(d.error.find("unknown record type 99"), std::string::npos);
}
