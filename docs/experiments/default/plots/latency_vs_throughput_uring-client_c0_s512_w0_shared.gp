set terminal svg size 1260,440 dynamic noenhanced font 'Helvetica,12' background rgb 'white'
set grid lc rgb '#dddddd'
set key top left box opaque
set border lc rgb '#555555'
set multiplot layout 1,3 title "p99 latency vs throughput (open loop at fractions of each model's saturation; dotted: its closed-loop saturation)\n512 B, shared"
set xlabel 'requests/s'
set format x '%.0s%c'
set xrange [0:*]
set ylabel 'p99 latency (ms; median, bars: min…max)'
set logscale y
set format y '%g'
set title '10 connections'
unset arrow
set arrow from 91080, graph 0 to 91080, graph 1 nohead dt 3 lw 1.5 lc rgb '#d62728'
set arrow from 109377, graph 0 to 109377, graph 1 nohead dt 3 lw 1.5 lc rgb '#1f77b4'
set arrow from 111918, graph 0 to 111918, graph 1 nohead dt 3 lw 1.5 lc rgb '#2ca02c'
plot 'plots/latency_vs_throughput_uring-client_c0_s512_w0_shared_0.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#d62728' title 'blocking', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#d62728' notitle, \
     'plots/latency_vs_throughput_uring-client_c0_s512_w0_shared_1.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#1f77b4' title 'epoll', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#1f77b4' notitle, \
     'plots/latency_vs_throughput_uring-client_c0_s512_w0_shared_2.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#2ca02c' title 'io_uring', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#2ca02c' notitle
set title '100 connections'
unset arrow
set arrow from 87442.7, graph 0 to 87442.7, graph 1 nohead dt 3 lw 1.5 lc rgb '#d62728'
set arrow from 114834, graph 0 to 114834, graph 1 nohead dt 3 lw 1.5 lc rgb '#1f77b4'
set arrow from 117259, graph 0 to 117259, graph 1 nohead dt 3 lw 1.5 lc rgb '#2ca02c'
plot 'plots/latency_vs_throughput_uring-client_c0_s512_w0_shared_3.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#d62728' title 'blocking', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#d62728' notitle, \
     'plots/latency_vs_throughput_uring-client_c0_s512_w0_shared_4.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#1f77b4' title 'epoll', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#1f77b4' notitle, \
     'plots/latency_vs_throughput_uring-client_c0_s512_w0_shared_5.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#2ca02c' title 'io_uring', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#2ca02c' notitle
set title '400 connections'
unset arrow
set arrow from 73741.3, graph 0 to 73741.3, graph 1 nohead dt 3 lw 1.5 lc rgb '#d62728'
set arrow from 111387, graph 0 to 111387, graph 1 nohead dt 3 lw 1.5 lc rgb '#1f77b4'
set arrow from 114661, graph 0 to 114661, graph 1 nohead dt 3 lw 1.5 lc rgb '#2ca02c'
plot 'plots/latency_vs_throughput_uring-client_c0_s512_w0_shared_6.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#d62728' title 'blocking', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#d62728' notitle, \
     'plots/latency_vs_throughput_uring-client_c0_s512_w0_shared_7.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#1f77b4' title 'epoll', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#1f77b4' notitle, \
     'plots/latency_vs_throughput_uring-client_c0_s512_w0_shared_8.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#2ca02c' title 'io_uring', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#2ca02c' notitle
unset multiplot
