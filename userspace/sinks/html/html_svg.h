// A minimal SVG plot for the HTML report: a plot area with linear (or log)
// axes, ticks, axis titles, and shapes placed in data coordinates. Charts
// are drawn in black and greys with dash patterns and hatches (defined once
// per page by svg_defs()) so that they survive a greyscale print; labels
// name every series next to it, not only in a colour legend.
#pragma once

#include <string>
#include <vector>

namespace kst::svg {

// The <svg> with the hatch patterns every chart refers to (url(#hatch-...)).
std::string defs();

// Tick positions from lo to hi (about `n` of them, at 1/2/5 x 10^k).
std::vector<double> nice_ticks(double lo, double hi, int n = 6);
// 12,345 / 1.5 / 0.25: a number for a tick or a table
std::string fmt(double v, int max_decimals = 2);

// The time axis unit for a window: s up to 10 min, then min, then h.
struct TimeUnit {
  double div = 1;
  const char* name = "s";
};
TimeUnit time_unit(double duration_s);

class Plot {
 public:
  // width x height in px; the plot area leaves margins for axes and labels.
  Plot(int width, int height, double x0, double x1, double y0, double y1, bool log_y = false);

  double x(double v) const;
  double y(double v) const;
  double left() const { return ml_; }
  double right() const { return w_ - mr_; }
  double top() const { return mt_; }
  double bottom() const { return h_ - mb_; }

  // Axes with ticks and titles; x ticks in `tu` units of the x values (seconds).
  void axes(const std::string& x_title, const std::string& y_title, TimeUnit tu = {});
  // A polyline through (xs[i], ys[i]); `style` is extra SVG attributes.
  void line(const std::vector<double>& xs, const std::vector<double>& ys, const std::string& style,
            bool step = false);
  void rect(double x0, double x1, double y0, double y1, const std::string& style,
            const std::string& title = "");
  void vline(double xv, const std::string& style, const std::string& label = "");
  // A label at data x, at pixel y (already escaped).
  void label_at(double xv, double ypx, const std::string& escaped, const std::string& cls = "lbl");
  // Labels for the right end of lines (escaped), moved apart so they do not overlap.
  void end_labels(std::vector<std::pair<double, std::string>> at_y);
  void raw(const std::string& s) { body_ += s; }

  // The finished <svg> (role="img" with an escaped aria-label).
  std::string str(const std::string& aria_label, const std::string& cls = "chart") const;

 private:
  int w_, h_;
  double ml_ = 64, mr_ = 96, mt_ = 14, mb_ = 40;
  double x0_, x1_, y0_, y1_;
  bool log_y_;
  std::string body_;
};

}  // namespace kst::svg
