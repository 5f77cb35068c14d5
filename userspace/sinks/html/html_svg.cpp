#include "sinks/html/html_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "sinks/html/html_escape.h"

namespace kst::svg {

std::string defs() {
  // diagonal and cross hatches: a second and third "colour" that greyscale keeps apart
  return "<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\"><defs>"
         "<pattern id=\"hatch-d\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
         "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fff\"/>"
         "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#b4501e\" stroke-width=\"3\"/></pattern>"
         "<pattern id=\"hatch-x\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">"
         "<rect width=\"6\" height=\"6\" fill=\"#fff\"/>"
         "<path d=\"M0 0L6 6M6 0L0 6\" stroke=\"#7a2a8c\" stroke-width=\"1.2\"/></pattern>"
         "<pattern id=\"hatch-crit\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" "
         "patternTransform=\"rotate(-45)\"><rect width=\"8\" height=\"8\" fill=\"#f6d5d0\"/>"
         "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#a01d12\" stroke-width=\"3\"/></pattern>"
         "<pattern id=\"hatch-warn\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\">"
         "<rect width=\"8\" height=\"8\" fill=\"#fbecc8\"/>"
         "<circle cx=\"4\" cy=\"4\" r=\"1.6\" fill=\"#8a5a00\"/></pattern>"
         "</defs></svg>\n";
}

std::vector<double> nice_ticks(double lo, double hi, int n) {
  std::vector<double> t;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return {lo};
  const double raw = (hi - lo) / std::max(1, n);
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  double step = p;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw) {
      step = m * p;
      break;
    }
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    t.push_back(std::abs(v) < step * 1e-9 ? 0 : v);
  return t;
}

std::string fmt(double v, int max_decimals) {
  if (!std::isfinite(v)) return "-";
  char buf[64];
  const double r = std::round(v);
  if (std::abs(v - r) < 1e-9 || std::abs(v) >= 1000) {
    // integer with thousands separators
    std::snprintf(buf, sizeof buf, "%.0f", r);
    std::string s = buf, out;
    const size_t neg = s[0] == '-' ? 1 : 0;
    for (size_t i = 0; i < s.size(); i++) {
      if (i > neg && (s.size() - i) % 3 == 0) out += ',';
      out += s[i];
    }
    return out;
  }
  std::snprintf(buf, sizeof buf, "%.*f", max_decimals, v);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

TimeUnit time_unit(double d) {
  if (d <= 600) return {1, "s"};
  if (d <= 36000) return {60, "min"};
  return {3600, "h"};
}

Plot::Plot(int width, int height, double x0, double x1, double y0, double y1, bool log_y)
    : w_(width),
      h_(height),
      x0_(x0),
      x1_(x1 > x0 ? x1 : x0 + 1),
      y0_(y0),
      y1_(y1 > y0 ? y1 : y0 + 1),
      log_y_(log_y) {
  if (log_y_) {
    y0_ = std::max(y0_, 0.1);
    y1_ = std::max(y1_, y0_ * 10);
  }
}

double Plot::x(double v) const { return ml_ + (v - x0_) / (x1_ - x0_) * (w_ - ml_ - mr_); }

double Plot::y(double v) const {
  double f;
  if (log_y_)
    f = (std::log10(std::max(v, y0_)) - std::log10(y0_)) / (std::log10(y1_) - std::log10(y0_));
  else
    f = (v - y0_) / (y1_ - y0_);
  f = std::clamp(f, 0.0, 1.0);
  return bottom() - f * (bottom() - top());
}

namespace {
std::string px(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}
}  // namespace

void Plot::axes(const std::string& x_title, const std::string& y_title, TimeUnit tu) {
  std::string s = "<g class=\"axis\">";
  s += "<line x1=\"" + px(left()) + "\" y1=\"" + px(bottom()) + "\" x2=\"" + px(right()) + "\" y2=\"" +
       px(bottom()) + "\"/>";
  s += "<line x1=\"" + px(left()) + "\" y1=\"" + px(top()) + "\" x2=\"" + px(left()) + "\" y2=\"" +
       px(bottom()) + "\"/>";
  for (double t : nice_ticks(x0_ / tu.div, x1_ / tu.div, std::max(2, (w_ - 160) / 90))) {
    const double xp = x(t * tu.div);
    s += "<line x1=\"" + px(xp) + "\" y1=\"" + px(bottom()) + "\" x2=\"" + px(xp) + "\" y2=\"" +
         px(bottom() + 4) + "\"/><text x=\"" + px(xp) + "\" y=\"" + px(bottom() + 16) +
         "\" text-anchor=\"middle\">" + fmt(t) + "</text>";
  }
  std::vector<double> yt;
  if (log_y_) {
    for (double v = std::pow(10.0, std::ceil(std::log10(y0_))); v <= y1_ * 1.0001; v *= 10) yt.push_back(v);
  } else {
    yt = nice_ticks(y0_, y1_, std::max(2, static_cast<int>(bottom() - top()) / 36));
  }
  for (double t : yt) {
    const double yp = y(t);
    s += "<line class=\"grid\" x1=\"" + px(left()) + "\" y1=\"" + px(yp) + "\" x2=\"" + px(right()) +
         "\" y2=\"" + px(yp) + "\"/><text x=\"" + px(left() - 6) + "\" y=\"" + px(yp + 4) +
         "\" text-anchor=\"end\">" + fmt(t) + "</text>";
  }
  s += "<text class=\"title\" x=\"" + px((left() + right()) / 2) + "\" y=\"" + px(h_ - 4) +
       "\" text-anchor=\"middle\">" + html_escape(x_title) + "</text>";
  s += "<text class=\"title\" transform=\"translate(12," + px((top() + bottom()) / 2) +
       ") rotate(-90)\" text-anchor=\"middle\">" + html_escape(y_title) + "</text></g>";
  body_ = s + body_;
}

void Plot::line(const std::vector<double>& xs, const std::vector<double>& ys, const std::string& style,
                bool step) {
  if (xs.empty()) return;
  std::string d;
  for (size_t i = 0; i < xs.size() && i < ys.size(); i++) {
    if (step && i > 0) d += px(x(xs[i])) + "," + px(y(ys[i - 1])) + " ";
    d += px(x(xs[i])) + "," + px(y(ys[i])) + " ";
  }
  body_ += "<polyline fill=\"none\" " + style + " points=\"" + d + "\"/>";
}

void Plot::rect(double xa, double xb, double ya, double yb, const std::string& style,
                const std::string& title) {
  const double l = x(xa), r = x(xb), t = std::min(y(ya), y(yb)), b = std::max(y(ya), y(yb));
  body_ += "<rect x=\"" + px(l) + "\" y=\"" + px(t) + "\" width=\"" + px(std::max(0.8, r - l)) +
           "\" height=\"" + px(b - t) + "\" " + style + ">";
  if (!title.empty()) body_ += "<title>" + title + "</title>";
  body_ += "</rect>";
}

void Plot::vline(double xv, const std::string& style, const std::string& label) {
  const double xp = x(xv);
  body_ += "<line x1=\"" + px(xp) + "\" y1=\"" + px(top()) + "\" x2=\"" + px(xp) + "\" y2=\"" + px(bottom()) +
           "\" " + style + "/>";
  if (!label.empty())
    body_ +=
        "<text class=\"mark\" x=\"" + px(xp + 3) + "\" y=\"" + px(top() + 10) + "\">" + label + "</text>";
}

void Plot::label_at(double xv, double ypx, const std::string& escaped, const std::string& cls) {
  body_ += "<text class=\"" + cls + "\" x=\"" + px(x(xv)) + "\" y=\"" + px(ypx) + "\">" + escaped + "</text>";
}

void Plot::end_labels(std::vector<std::pair<double, std::string>> at_y) {
  for (auto& [v, l] : at_y) v = y(v);
  std::sort(at_y.begin(), at_y.end());
  for (size_t i = 1; i < at_y.size(); i++) at_y[i].first = std::max(at_y[i].first, at_y[i - 1].first + 12);
  for (const auto& [yp, l] : at_y)
    body_ += "<text class=\"lbl\" x=\"" + px(right() + 6) + "\" y=\"" + px(yp + 4) + "\">" + l + "</text>";
}

std::string Plot::str(const std::string& aria_label, const std::string& cls) const {
  return "<svg class=\"" + cls + "\" viewBox=\"0 0 " + std::to_string(w_) + " " + std::to_string(h_) +
         "\" width=\"" + std::to_string(w_) + "\" height=\"" + std::to_string(h_) +
         "\" role=\"img\" aria-label=\"" + html_escape(aria_label) + "\">" + body_ + "</svg>\n";
}

}  // namespace kst::svg
